"""What the council knows about an SRP school in an academic year, read from bronze.

Shared by the return templates (what the council pre-fills) and the feedback (what a return
is checked against), so a school is checked against exactly the pupils it was sent.

**Personal data**: this module reads UPNs and dates of birth from bronze. Its results may
only go to the school the pupils are placed at (a school's own pupils, to that school).

The pupils of a school in a year follow silver_srp_pupils_in_year (dbt), which holds only
pseudonyms: a current Synergy placement flagged resourced provision at a school the current
SRP register lists for the year, on roll at any time between 1 September and 31 August
(entry date on or before 31 August, and no leaving date or one after 1 September); one row
per person and school (their latest such placement); designation = the placement's
srp_designation, else the school's only designation, else unknown (None).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from stdnum.gb.upn import is_valid as is_valid_upn

from orchestration.contract import academic_year_label

# Bronze keeps text as landed; these mirror the dbt parsing macros (parse_date, parse_flag).
_DATE = "cast(coalesce(try_strptime({0}, '%d/%m/%Y'), try_strptime({0}, '%Y-%m-%d')) as date)"
_TRUE = "lower(trim({0})) in ('y', 'yes', '1', 'true')"
_NC_YEARS = range(0, 15)  # 0 = Reception ... 14 (layout.NC_YEARS)


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


def nc_year(date_of_birth: dt.date | None, start_year: int) -> int | None:
    """NC year in the academic year starting 1 Sep ``start_year``: (age on 31 August of
    ``start_year``) - 4, Reception = 0; None outside Reception to Year 14."""
    if date_of_birth is None:
        return None
    day = dt.date(start_year, 8, 31)
    age = day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month,
                                                                   date_of_birth.day))
    year = age - 4
    return year if year in _NC_YEARS else None


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


def placed_pupils(con, start_year: int, urn: str | None = None) -> dict[str, list[PlacedPupil]]:
    """Pupils the council has placed in each SRP school during the year, by URN (one school
    if ``urn`` is given), ordered by designation, NC year and UPN."""
    label = academic_year_label(start_year)
    year_start, year_end = dt.date(start_year, 9, 1), dt.date(start_year + 1, 8, 31)
    rows = con.execute(f"""
        with register as (
            select urn, count(distinct upper(trim(designation))) as designations,
                   min(upper(trim(designation))) as only_designation
            from bronze.srp_register
            where _superseded_by_sha256 is null and academic_year = ?
            group by urn
        ),
        placements as (
            select
                try_cast(placement_id as bigint) as placement_id,
                try_cast(plan_id as bigint) as plan_id,
                urn,
                try_cast(placement_rank as integer) as placement_rank,
                {_DATE.format('entry_date')} as entry_date,
                {_DATE.format('leaving_date')} as leaving_date,
                nullif(upper(trim(srp_designation)), '') as srp_designation
            from bronze.synergy_placement
            where _valid_to is null and {_TRUE.format('resourced_provision_indicator')}
        ),
        plans as (
            select try_cast(plan_id as bigint) as plan_id,
                   try_cast(person_id as bigint) as person_id
            from bronze.synergy_named_plan where _valid_to is null
        ),
        people as (
            select try_cast(person_id as bigint) as person_id, upper(trim(upn)) as upn,
                   {_DATE.format('date_of_birth')} as date_of_birth
            from bronze.synergy_person where _valid_to is null
        ),
        in_year as (
            select
                pe.person_id, pe.upn, pe.date_of_birth, pl.urn, pl.entry_date,
                coalesce(pl.srp_designation,
                         case when r.designations = 1 then r.only_designation end) as designation,
                row_number() over (
                    partition by pe.person_id, pl.urn
                    order by pl.entry_date desc, pl.placement_rank, pl.placement_id
                ) as pick
            from placements as pl
            inner join register as r on r.urn = pl.urn
            inner join plans as p on p.plan_id = pl.plan_id
            inner join people as pe on pe.person_id = p.person_id
            where pl.entry_date <= ? and (pl.leaving_date is null or pl.leaving_date > ?)
              and (? is null or pl.urn = ?)
        )
        select urn, upn, date_of_birth, designation, entry_date
        from in_year
        where pick = 1
    """, [label, year_end, year_start, urn, urn]).fetchall()
    pupils: dict[str, list[PlacedPupil]] = {}
    for school, upn, date_of_birth, designation, entry_date in rows:
        pupils.setdefault(school, []).append(PlacedPupil(
            upn if upn and is_valid_upn(upn) else None,
            nc_year(date_of_birth, start_year), designation, entry_date))
    for school_pupils in pupils.values():
        school_pupils.sort(key=lambda p: (p.designation or "~", _sortable(p.nc_year),
                                          p.upn or "~", p.date_joined or dt.date.max))
    return pupils


def _sortable(value: int | None) -> int:
    return 99 if value is None else value
