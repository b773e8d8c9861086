"""What the council knows about an SRP school in an academic year, and naming pupils again.

Shared by the return templates (what the council pre-fills) and the feedback (what a return
is checked against), so a school is checked against exactly the pupils it was sent.

Which pupils a school had in a year is decided in dbt alone (silver_srp_pupils_in_year; the
comparison with a return in silver_return_pupil_reconciliation), keyed by pseudonyms. This
module only names them again, from bronze (:func:`upns_by_key`), and only for the school a
workbook goes to.

**Personal data**: its results hold UPNs. They may only go to the school the pupils are placed
at (a school's own pupils, to that school).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from stdnum.gb.upn import is_valid as is_valid_upn

from orchestration.contract import academic_year_label
from orchestration.pseudonymise import pseudonym, resolve_key

_NC_YEARS = range(0, 15)  # 0 = Reception ... 14: the template's NC years (layout.NC_YEARS)


@dataclass(frozen=True)
class PlacedPupil:
    upn: str | None  # None when Synergy has no valid UPN for the child
    nc_year: int | None  # None when the date of birth is unknown or gives no NC year 0-14
    designation: str | None  # None when the placement's designation is ambiguous
    date_joined: dt.date | None


@dataclass
class SrpSchool:
    urn: str
    name: str | None  # GIAS establishment name
    places: dict[str, int | None] = field(default_factory=dict)  # designation -> commissioned


def pseudonym_key() -> str:
    """The pseudonym key dbt builds silver with (pseudonymise.Plugin resolves it the same way)."""
    from orchestration.settings import Paths

    return resolve_key(Paths.from_env().landing)


def upns_by_key(con, key: str, upn_keys: set[str]) -> dict[str, str]:
    """The UPN behind each of these upn_keys, from the current Synergy persons in bronze (keys
    of UPNs Synergy does not hold, or not validly, stay unnamed)."""
    if not upn_keys:
        return {}
    found = {}
    for (upn,) in con.execute(
            "select distinct upper(trim(upn)) from bronze.synergy_person"
            " where _valid_to is null and upn is not null").fetchall():
        upn_key = pseudonym(key, "upn", upn)
        if upn_key in upn_keys and is_valid_upn(upn):
            found[upn_key] = upn
    return found


def latest_register_year(con) -> int | None:
    """Start year of the latest academic year the current SRP register covers."""
    row = con.execute(
        "select max(cast(left(academic_year, 4) as integer)) from bronze.srp_register "
        "where _superseded_by_sha256 is null"
    ).fetchone()
    return row[0] if row else None


def srp_schools(con, start_year: int) -> dict[str, SrpSchool]:
    """Schools the current SRP register lists for the year, with their GIAS name and their
    designations' commissioned places, by URN."""
    rows = con.execute("""
        with names as (
            select urn, establishment_name
            from bronze.gias_establishment
            where _superseded_by_sha256 is null
            qualify row_number() over (
                partition by urn order by _file_date desc, _loaded_at desc) = 1
        )
        select r.urn, n.establishment_name, upper(trim(r.designation)) as designation,
               max(try_cast(r.commissioned_places as integer)) as places
        from bronze.srp_register as r
        left join names as n on n.urn = r.urn
        where r._superseded_by_sha256 is null and r.academic_year = ?
        group by all
        order by r.urn, designation
    """, [academic_year_label(start_year)]).fetchall()
    schools: dict[str, SrpSchool] = {}
    for urn, name, designation, places in rows:
        schools.setdefault(urn, SrpSchool(urn, name)).places[designation] = places
    return schools


def placed_pupils(con, key: str, start_year: int,
                  urn: str | None = None) -> dict[str, list[PlacedPupil]]:
    """Pupils the council has placed in each SRP school during the year, by URN (one school
    if ``urn`` is given), ordered by designation, NC year and UPN: silver_srp_pupils_in_year,
    each named again from bronze (``key``: the pseudonym key silver was built with)."""
    rows = con.execute("""
        select urn, upn_key, nullif(designation, 'unknown'), nc_year, date_joined
        from silver.silver_srp_pupils_in_year
        where academic_year = ? and (? is null or urn = ?)
    """, [academic_year_label(start_year), urn, urn]).fetchall()
    upns = upns_by_key(con, key, {row[1] for row in rows if row[1]})
    pupils: dict[str, list[PlacedPupil]] = {}
    for school, upn_key, designation, nc_year, date_joined in rows:
        pupils.setdefault(school, []).append(PlacedPupil(
            upns.get(upn_key), nc_year if nc_year in _NC_YEARS else None, designation,
            date_joined))
    for school_pupils in pupils.values():
        school_pupils.sort(key=lambda p: (p.designation or "~", _sortable(p.nc_year),
                                          p.upn or "~", p.date_joined or dt.date.max))
    return pupils


def _sortable(value: int | None) -> int:
    return 99 if value is None else value
