"""Scenario constants and small helpers shared by every generator module.

All dates come from here; nothing in the generator reads the wall clock.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass


GENERATOR_VERSION = "1.0.0"

HISTORY_START = dt.date(2020, 9, 1)  # first request received in the Synergy history
RETURN_YEARS = (2020, 2021, 2022, 2023, 2024)  # academic years with school returns
CURRENT_YEAR = 2025  # the year the council is commissioning (register only)
REGISTER_YEARS = RETURN_YEARS + (CURRENT_YEAR,)
EXTRACT_DATES = (dt.date(2025, 10, 1), dt.date(2025, 10, 2))
GIAS_DATE = dt.date(2025, 9, 1)
SIMULATION_END = dt.date(2026, 8, 31)  # events after an extract's as-of date are cut off


def as_of(extract_date: dt.date) -> dt.date:
    """A nightly extract holds what was keyed in up to the end of the previous day."""
    return extract_date - dt.timedelta(days=1)


@dataclass(frozen=True)
class Scenario:
    seed: int = 42
    scale: float = 1.0
    defects: bool = True

    def rng(self, label: str) -> random.Random:
        """An independent, reproducible random stream per generator component."""
        return random.Random(f"{self.seed}:{label}")

    def count(self, at_scale_one: float, minimum: int = 0) -> int:
        return max(minimum, round(at_scale_one * self.scale))


def uk_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def gias_date(value: dt.date | None) -> str:
    return value.strftime("%d-%m-%Y") if value else ""


def year_start(academic_year: int) -> dt.date:
    return dt.date(academic_year, 9, 1)


def year_end(academic_year: int) -> dt.date:
    return dt.date(academic_year + 1, 8, 31)


def academic_year_of(day: dt.date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def nc_year(date_of_birth: dt.date, academic_year: int) -> int:
    """NC year = age on 31 August before the year starts, minus 4 (Reception = 0)."""
    return age_on(date_of_birth, dt.date(academic_year, 8, 31)) - 4


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    had_birthday = (day.month, day.day) >= (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - (0 if had_birthday else 1)


def term_start(academic_year: int) -> dt.date:
    """First weekday on or after 3 September."""
    day = dt.date(academic_year, 9, 3)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def term_end(academic_year: int) -> dt.date:
    """Last Friday on or before 23 July of the academic year."""
    day = dt.date(academic_year + 1, 7, 23)
    while day.weekday() != 4:
        day -= dt.timedelta(days=1)
    return day


class Weighted:
    """A fixed discrete distribution, precomputed for fast repeated draws."""

    def __init__(self, weights: dict):
        self.values = list(weights)
        total = 0.0
        self.cumulative = []
        for weight in weights.values():
            total += weight
            self.cumulative.append(total)

    def pick(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cumulative)[0]

