"""Pre-filled SRP return templates: one workbook per SRP school for an academic year.

The council fills in what it knows (orchestration.outbox.placed_pupils): the school's URN and
GIAS name, its designations and commissioned places from the current SRP register for the
year, and the pupils it has placed in the SRP during the year (UPN, NC year, designation,
date joined). The layout and locking are the template writer's (orchestration.returns).

A pupil row is locked (grey) when the council knows all four values. When it does not (no
valid UPN in Synergy, no date of birth, a placement without a designation at a school with
two) the row is pre-filled as far as known but left editable, so the school can complete it;
such a template reads back with a "blank" error on that cell until the school fills it in.

**The coming year** (:func:`coming_academic_year`) is the latest academic year the current
SRP register covers: commissioning publishes next year's register before the year starts,
returns for a year arrive after it ends, so the latest register year is the year after the
latest one with returns, and the only year whose designations and places are known.

Files: ``<out_dir>/templates/<YYYY-YY>/<urn>_<YYYY-YY>_SRP_return.xlsx``. They hold UPNs:
each goes only to its school, through the council's secure file transfer.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.contract import academic_year_folder, academic_year_label, academic_year_start
from orchestration.outbox.placed_pupils import (
    PlacedPupil, latest_register_year, placed_pupils, pseudonym_key, srp_schools,
)
from orchestration.outbox.names import safe_name
from orchestration.outbox.writer import WriteOutcome, write_changed
from orchestration.returns.model import PlacesRow, PupilRow, SchoolReturn
from orchestration.returns.template import write_return_workbook

TEMPLATES_FOLDER = "templates"
FILE_SUFFIX = "_SRP_return.xlsx"


def coming_academic_year(con) -> str | None:
    """``2025/26``: the latest year of the current SRP register (None without a register)."""
    start = latest_register_year(con)
    return academic_year_label(start) if start is not None else None


def template_returns(con, academic_year: str, key: str | None = None) -> list[SchoolReturn]:
    """The pre-filled content of each SRP school's template for the year, by URN (``key``: the
    pseudonym key silver was built with; default: the one dbt resolves)."""
    start = academic_year_start(academic_year)
    label = academic_year_label(start)
    pupils = placed_pupils(con, key or pseudonym_key(), start)
    return [
        SchoolReturn(
            urn=school.urn,
            school_name=school.name or "",  # not in GIAS: blank rather than "None"
            academic_year=label,
            places=[PlacesRow(designation, places)
                    for designation, places in school.places.items()],
            pupils=[_pupil_row(p) for p in pupils.get(school.urn, [])],
        )
        for school in srp_schools(con, start).values()
    ]


def template_path(out_dir: Path, academic_year: str, urn: str) -> Path:
    folder = academic_year_folder(academic_year_start(academic_year))
    return Path(out_dir) / TEMPLATES_FOLDER / folder / f"{safe_name(urn)}_{folder}{FILE_SUFFIX}"


def write_template_files(returns: list[SchoolReturn], out_dir: Path,
                         academic_year: str) -> WriteOutcome:
    """Write each template whose content changed (see writer.py); templates left in the
    year's folder from schools no longer in the register are removed, so the folder holds
    exactly what should be sent. One template that cannot be written does not stop the
    others: the outcome lists it as failed."""
    paths = [template_path(out_dir, academic_year, r.urn) for r in returns]
    folder = template_path(out_dir, academic_year, "x").parent
    outcome = write_changed(list(zip(paths, returns)), write_return_workbook, folder)
    if folder.is_dir():
        for stale in set(folder.glob(f"*{FILE_SUFFIX}")) - set(paths):
            stale.unlink()
    return outcome


def write_templates(con, out_dir: Path, academic_year: str,
                    key: str | None = None) -> WriteOutcome:
    """One pre-filled return workbook per SRP school for ``academic_year`` (``2025/26`` or
    ``2025-26``)."""
    return write_template_files(template_returns(con, academic_year, key), out_dir,
                                academic_year)


def _pupil_row(pupil: PlacedPupil) -> PupilRow:
    known = (pupil.upn, pupil.nc_year, pupil.designation, pupil.date_joined)
    return PupilRow(
        upn=pupil.upn,
        nc_year=pupil.nc_year,
        designation=pupil.designation,
        date_joined=pupil.date_joined,
        prefilled=all(value is not None for value in known),
    )
