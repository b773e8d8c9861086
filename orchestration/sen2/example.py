"""A small, valid, made-up SEN2 return (tests, docs, benchmarks): records built in document
order (each person, then its requests depth first), so either writer's output reads back with
the same positions."""

from __future__ import annotations

import datetime as dt

from orchestration.returns.model import example_upn
from orchestration.sen2 import spec
from orchestration.sen2.records import Record, Sen2Return


def reference_date(year: int) -> dt.date:
    """The census reference date of the collection year (third Thursday of January)."""
    from orchestration.contract import census_day

    return census_day(year - 1)


def example_return(persons: int = 3, year: int = 2025, la: str = "886") -> Sen2Return:
    result = Sen2Return("example")
    reference = reference_date(year)
    result.add(Record("header", 1, {
        "collection": "SEN2", "year": str(year), "referencedate": reference.isoformat(),
        "sourcelevel": "L", "lea": la, "softwarecode": "send-data-platform", "release": "1",
        "serialno": "1", "datetime": f"{reference.isoformat()}T00:00:00"}))
    for n in range(1, persons + 1):
        _person(result, n, year, reference)
    return result


def _add(result: Sen2Return, module: str, values: dict, parent: int | None,
         person: int | None) -> Record:
    position = len(result.records[module]) + 1
    record = Record(module, position, values, parent, person or position)
    result.add(record)
    return record


def _person(result: Sen2Return, n: int, year: int, reference: dt.date) -> None:
    sex_item = "sex" if year >= 2025 else "gendercurrent"
    sex = ("M", "F")[n % 2] if year >= 2025 else ("1", "2")[n % 2]
    person = _add(result, "person", {
        "surname": f"Surname{n}", "forename": f"Forename{n}",
        "personbirthdate": dt.date(reference.year - 6 - n % 12, 1 + n % 12, 1 + n % 28).isoformat(),
        sex_item: sex, "ethnicity": "WBRI", "postcode": "ME14 1XX",
        "upn": example_upn(n), "uniquelearnernumber": None, "upnunknown": None}, 1, None)
    received = dt.date(reference.year - 2, 1 + n % 12, 1 + n % 28)
    request = _add(result, "requests", {
        "receiveddate": received.isoformat(), "rya": "0",
        "requestoutcomedate": (received + dt.timedelta(days=40)).isoformat(),
        "requestoutcome": "A", "requestmediation": "0", "requesttribunal": "0",
        "exported": "0"}, person.position, person.position)
    issued = received + dt.timedelta(days=120)
    assessment = _add(result, "assessment", {
        "assessmentoutcome": "I", "assessmentoutcomedate": issued.isoformat(),
        "week20": "0"}, request.position, person.position)
    plan = _add(result, "named_plan", {
        "startdate": issued.isoformat(), "pb": "0"}, assessment.position, person.position)
    _add(result, "plan_detail", {"urn": f"{118000 + n}", "placementrank": "1"},
         plan.position, person.position)
    active = {"transferla": None, "lastreview": (issued + dt.timedelta(days=300)).isoformat()}
    if year >= 2025:
        active |= {"reviewmeeting": (issued + dt.timedelta(days=290)).isoformat(),
                   "reviewoutcome": "M"}
    plans = _add(result, "active_plans", active, request.position, person.position)
    _add(result, "placement_detail", {
        "urn": f"{118000 + n}", "placementrank": "1", "entrydate": issued.isoformat(),
        "senunitindicator": "0", "resourcedprovisionindicator": "1" if n % 2 else "0"},
        plans.position, person.position)
    needs = spec.codes(spec.item("sen_need", "sentype", year), year)
    for rank, code in enumerate((needs[n % len(needs)], "SLCN"), start=1):
        _add(result, "sen_need", {"sentype": code, "sentyperank": str(rank)},
             plans.position, person.position)
