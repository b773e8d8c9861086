"""SRP annual returns: what each SRP school sends back, consistent with Synergy."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from orchestration import contract
from orchestration.contract import academic_year_folder, academic_year_label
from orchestration.returns.model import Finance, Outcomes, PlacesRow, PupilRow, SchoolReturn
from orchestration.sample_data.children import SrpSpell
from orchestration.sample_data.scenario import (
    RETURN_YEARS, Scenario, nc_year, year_end, year_start,
)
from orchestration.sample_data.srps import PLACE_FUNDING_GBP, Srp, SrpRegister

CONTACT_ROLES = ("SENCo", "SENCo", "SRP lead", "Headteacher", "School business manager")


@dataclass
class ReturnFile:
    """One workbook a school sent: where it lands and what it says."""
    folder_year: int  # the school_returns/<YYYY-YY>/ folder it was put in
    file_name: str
    content: SchoolReturn

    @property
    def relative_path(self) -> str:
        return f"{contract.LANDING_SCHOOL_RETURNS}/{academic_year_folder(self.folder_year)}/{self.file_name}"


def deadline(year: int) -> dt.date:
    """Returns are due on 30 September after the academic year ends."""
    return dt.date(year + 1, 9, 30)


def slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")


def standard_file_name(srp: Srp, year: int) -> str:
    return f"{srp.school.urn}_{slug(srp.school.name)}_{academic_year_folder(year)}.xlsx"


def build_returns(scenario: Scenario, register: SrpRegister, spells: list[SrpSpell]) -> list[ReturnFile]:
    """One clean return per SRP school per year, in a stable order."""
    rng = scenario.rng("returns")
    spells_by_school: dict[str, list[SrpSpell]] = {}
    for spell in spells:
        spells_by_school.setdefault(spell.srp.school.urn, []).append(spell)
    files = []
    for year in RETURN_YEARS:
        for urn in sorted(register.by_school):
            srps = [srp for srp in register.by_school[urn] if year in srp.places]
            if srps:
                content = school_return(rng, srps, year, spells_by_school.get(urn, []))
                files.append(ReturnFile(year, standard_file_name(srps[0], year), content))
    return files


def school_return(rng: random.Random, srps: list[Srp], year: int, spells: list[SrpSpell]) -> SchoolReturn:
    in_year = [s for s in spells if s.entry <= year_end(year)
               and (s.leaving is None or s.leaving >= year_start(year))]
    in_year.sort(key=lambda s: (s.entry, s.upn))
    census = contract.census_day(year)
    on_census = [s for s in in_year if s.entry <= census and (s.leaving is None or s.leaving > census)]
    places = [_places_row(rng, srp, year, on_census) for srp in srps]
    return SchoolReturn(
        urn=srps[0].school.urn, school_name=srps[0].school.name, academic_year=academic_year_label(year),
        contact_role=rng.choice(CONTACT_ROLES), date_completed=_completed(rng, year),
        places=places, pupils=[_pupil_row(rng, spell, year) for spell in in_year],
        finance=_finance(rng, srps, year, on_census), outcomes=_outcomes(rng),
    )


def _completed(rng: random.Random, year: int) -> dt.date:
    return deadline(year) - dt.timedelta(days=rng.randint(1, 80))


def _places_row(rng, srp: Srp, year: int, on_census: list[SrpSpell]) -> PlacesRow:
    commissioned = srp.places[year]
    with_plan = sum(1 for s in on_census if s.srp is srp)
    without_plan = rng.choice((0, 0, 0, 1, 2))
    return PlacesRow(
        designation=srp.designation, commissioned_places=commissioned,
        pupils_with_ehcp=with_plan, pupils_without_ehcp=without_plan,
        vacancies=max(0, commissioned - with_plan - without_plan),
        referrals_received=rng.randint(0, max(1, commissioned // 2)),
    )


def _pupil_row(rng, spell: SrpSpell, year: int) -> PupilRow:
    left = spell.leaving if spell.leaving and spell.leaving <= year_end(year) else None
    reviews = [d for d in spell.review_dates if year_start(year) <= d <= year_end(year)]
    return PupilRow(
        upn=spell.upn or None, nc_year=nc_year(spell.date_of_birth, year),
        designation=spell.srp.designation, date_joined=spell.entry, date_left=left,
        destination=spell.destination if left else None,
        pct_timetable_mainstream=float(rng.randrange(20, 85, 5)),
        attendance_pct=round(min(100.0, max(70.0, rng.gauss(92.0, 3.0))), 1),
        suspension_days=0.0 if rng.random() < 0.93 else float(rng.choice((0.5, 1, 1, 2, 3, 5))),
        permanent_exclusion="Y" if rng.random() < 0.004 else "N",
        annual_review_date=reviews[-1] if reviews else None, prefilled=True,
    )


def _finance(rng, srps: list[Srp], year: int, on_census: list[SrpSpell]) -> Finance:
    place_funding = PLACE_FUNDING_GBP * sum(srp.places[year] for srp in srps)
    top_up = sum(srp.top_up_gbp for s in on_census for srp in srps if s.srp is srp)
    top_up = round(top_up * rng.uniform(0.95, 1.05), -2)
    other = float(rng.choice((0, 0, 2500, 5000, 12000)))
    spend = (place_funding + top_up + other) * rng.gauss(1.0, 0.06)
    shares = {"teaching": 0.44, "support": 0.36, "therapies": 0.08, "resources": 0.05,
              "training": 0.02}
    parts = {name: round(spend * share * rng.uniform(0.9, 1.1), -2) for name, share in shares.items()}
    places = sum(srp.places[year] for srp in srps)
    return Finance(
        income_place_funding=float(place_funding), income_top_up=top_up, income_other=other,
        spend_teaching_staff=parts["teaching"], spend_support_staff=parts["support"],
        spend_therapies=parts["therapies"], spend_resources=parts["resources"],
        spend_training=parts["training"], spend_other=round(max(0.0, spend - sum(parts.values())), -2),
        fte_teachers=round(max(0.5, places / 8 * rng.uniform(0.8, 1.2)), 1),
        fte_teaching_assistants=round(max(1.0, places / 3 * rng.uniform(0.8, 1.2)), 1),
    )


def _outcomes(rng) -> Outcomes:
    return Outcomes(outreach_sessions=rng.randint(0, 30),
                    pct_parents_satisfied=round(rng.uniform(70, 100), 1),
                    pct_pupils_meeting_outcomes=round(rng.uniform(60, 95), 1))


# -- writing -------------------------------------------------------------------------
def write_return_files(root: Path, files: list[ReturnFile], workers: int | None = None) -> None:
    """Write each return with the council's template writer (deterministic by design).

    Workbooks are independent and openpyxl is slow (~0.3 s each), so large scales write
    them in parallel processes.
    """
    from orchestration.returns.template import write_return_workbook

    jobs = [(root / item.relative_path, item.content) for item in files]
    for path, _ in jobs:
        path.parent.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(jobs) < 50:
        for path, content in jobs:
            write_return_workbook(path, content)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_write_one, jobs, chunksize=16))


def _write_one(job: tuple[Path, SchoolReturn]) -> None:
    from orchestration.returns.template import write_return_workbook

    write_return_workbook(*job)
