"""What an SRP annual return holds (DATA-CONTRACT.md section 4), independent of layout.

The template writer turns a :class:`SchoolReturn` into a workbook; the reader turns a
workbook back into one plus the errors it found. The sample generator builds these to
fill templates the way schools would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

TEMPLATE_VERSION = "1.0"


@dataclass
class PlacesRow:
    designation: str  # SEN2 SENtype code
    commissioned_places: int | None = None  # pre-filled by the council
    pupils_with_ehcp: int | str | None = None  # str when a school typed text (a defect)
    pupils_without_ehcp: int | str | None = None  # assessment places
    vacancies: int | str | None = None
    referrals_received: int | str | None = None


@dataclass
class PupilRow:
    upn: str | None
    nc_year: int | str | None
    designation: str | None
    date_joined: dt.date | None
    date_left: dt.date | None = None
    destination: str | None = None  # contract.RETURN_DESTINATION_CODES
    pct_timetable_mainstream: float | str | None = None
    attendance_pct: float | str | None = None
    suspension_days: float | str | None = None
    permanent_exclusion: str | None = None  # Y/N
    annual_review_date: dt.date | None = None
    prefilled: bool = False  # the council placed this pupil (pre-filled row)


@dataclass
class Finance:
    income_place_funding: float | str | None = None
    income_top_up: float | str | None = None
    income_other: float | str | None = None
    spend_teaching_staff: float | str | None = None
    spend_support_staff: float | str | None = None
    spend_therapies: float | str | None = None
    spend_resources: float | str | None = None
    spend_training: float | str | None = None
    spend_other: float | str | None = None
    fte_teachers: float | str | None = None
    fte_teaching_assistants: float | str | None = None


@dataclass
class Outcomes:
    outreach_sessions: int | str | None = None
    pct_parents_satisfied: float | str | None = None
    pct_pupils_meeting_outcomes: float | str | None = None


@dataclass
class SchoolReturn:
    urn: str
    school_name: str
    academic_year: str  # 2024/25
    contact_role: str | None = None
    date_completed: dt.date | None = None
    places: list[PlacesRow] = field(default_factory=list)
    pupils: list[PupilRow] = field(default_factory=list)
    finance: Finance = field(default_factory=Finance)
    outcomes: Outcomes = field(default_factory=Outcomes)
    template_version: str = TEMPLATE_VERSION
    deadline: dt.date | None = None  # None: layout.default_deadline(academic_year)


def example_upn(serial: int) -> str:
    """A made-up but valid UPN (LA 886, check letter computed) for examples and tests."""
    from stdnum.gb.upn import calc_check_digit

    digits = f"886{serial:09d}"
    return calc_check_digit(digits) + digits


def example_return(pupil_count: int = 30, academic_year: str = "2024/25") -> SchoolReturn:
    """A fully and correctly filled-in return with made-up pupils (tests, benchmarks, docs)."""
    start = int(academic_year[:4])
    designations = ("ASD", "SLCN")
    pupils = [
        PupilRow(
            upn=example_upn(i),
            nc_year=i % 7,
            designation=designations[i % 2],
            date_joined=dt.date(start - i % 3, 9, 1 + i % 20),
            date_left=dt.date(start + 1, 7, 18) if i % 10 == 9 else None,
            destination="secondary SRP" if i % 10 == 9 else None,
            pct_timetable_mainstream=float(20 + i % 60),
            attendance_pct=round(85 + (i % 30) / 2, 1),
            suspension_days=0.5 * (i % 3),
            permanent_exclusion="N",
            annual_review_date=dt.date(start + 1, 1 + i % 6, 10),
            prefilled=i % 5 != 4,  # every fifth pupil added by the school
        )
        for i in range(pupil_count)
    ]
    return SchoolReturn(
        urn="118000",
        school_name="Example Primary School",
        academic_year=academic_year,
        contact_role="SENCo",
        date_completed=dt.date(start + 1, 9, 20),
        places=[
            PlacesRow("ASD", 14, 12, 1, 1, 9),
            PlacesRow("SLCN", 8, 7, 0, 1, 4),
        ],
        pupils=pupils,
        finance=Finance(
            income_place_funding=220000, income_top_up=180500.5, income_other=1200,
            spend_teaching_staff=210000, spend_support_staff=150250.75, spend_therapies=18000,
            spend_resources=6400, spend_training=2100, spend_other=900,
            fte_teachers=3.5, fte_teaching_assistants=9.6,
        ),
        outcomes=Outcomes(outreach_sessions=24, pct_parents_satisfied=92.5,
                          pct_pupils_meeting_outcomes=81),
    )
