"""The sample-data generator: deterministic, contract-conformant, defects as documented,
and realistic (loosely at small scale; Kent-like figures at scale 1 in the slow test)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from stdnum.gb import upn as upn_check

from orchestration import contract, council
from orchestration.ingest.csv_reader import match_columns, read_csv
from orchestration.ingest.validate import Context, check_rows
from orchestration.returns.reader import check_return_context, read_return_workbook
from orchestration.sample_data import generate
from orchestration.sample_data.cli import main
from orchestration.sample_data.defects import NON_NUMERIC_PERSON_ID
from orchestration.sample_data.geography import SHORT_SECONDARY_DISTRICTS

SMALL = 0.02
EXTRACTS = ("2025-10-01", "2025-10-02")
LATEST = EXTRACTS[-1]
CENSUS_2024 = contract.census_day(2024)
REGISTER_FILES = [f"srp_register_{contract.academic_year_folder(y)}.csv" for y in range(2020, 2026)]


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clean(small_landing) -> Path:
    """The session's clean small landing (conftest: scale 0.02, seed 7, no defects)."""
    return small_landing


@pytest.fixture(scope="module")
def defective(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("defects")
    generate(out, scale=SMALL, seed=7, defects=True)
    return out


@pytest.fixture(scope="module")
def kent(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kent")
    generate(out, scale=1, seed=42, defects=False)
    return out


# --- helpers --------------------------------------------------------------------------------

def read_rows(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def header(path: Path, encoding: str = "utf-8") -> list[str]:
    with path.open(encoding=encoding, newline="") as handle:
        return next(csv.reader(handle))


def line_cells(path: Path, line: int, encoding: str = "utf-8") -> list[str]:
    with path.open(encoding=encoding, newline="") as handle:
        for number, cells in enumerate(csv.reader(handle), start=1):
            if number == line:
                return cells
    raise AssertionError(f"{path} has no line {line}")


def synergy(root: Path, name: str, extract: str = LATEST) -> list[dict[str, str]]:
    return read_rows(root / "synergy" / extract / name)


def uk(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def assert_conforms(path: Path, source: contract.CsvSource, reference_date: dt.date | None = None,
                    academic_year: str | None = None) -> list[dict[str, str]]:
    """The platform's own loader rules accept every row; returns the rows."""
    raw = read_csv(path.read_bytes(), path.name)
    columns, _ = match_columns(raw, source, path.name)
    checked = check_rows(raw, columns, source, Context(path.name, reference_date, academic_year=academic_year))
    assert checked.problems == [], [p.message for p in checked.problems[:5]]
    return read_rows(path, encoding="cp1252" if raw.encoding == "cp1252" else "utf-8")


def gias_rows(root: Path) -> list[dict[str, str]]:
    return read_rows(root / "gias" / "edubase_20250901.csv", encoding="cp1252")


def returns(root: Path):
    for path in sorted((root / "school_returns").glob("*/*.xlsx")):
        yield path, read_return_workbook(path)


def on_roll(row: dict[str, str], day: dt.date) -> bool:
    leaving = row["leaving_date"]
    return uk(row["entry_date"]) <= day and (not leaving or uk(leaving) > day)


def active_plans(root: Path, day: dt.date) -> list[dict[str, str]]:
    return [p for p in synergy(root, "named_plan.csv")
            if uk(p["start_date"]) <= day and (not p["cease_date"] or uk(p["cease_date"]) > day)]


def file_hashes(root: Path) -> dict[str, tuple[str, int]]:
    return {p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), int(p.stat().st_mtime))
            for p in sorted(root.rglob("*")) if p.is_file()}


# --- determinism and layout -----------------------------------------------------------------

def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path, defective):
    again = tmp_path / "again"
    other = tmp_path / "other"
    main(["--scale", str(SMALL), "--seed", "7", "--out", str(again)])
    generate(other, scale=SMALL, seed=8)
    assert file_hashes(again) == file_hashes(defective)
    assert file_hashes(other) != file_hashes(defective)


def test_every_landing_file_is_written(clean):
    for extract in EXTRACTS:
        folder = clean / "synergy" / extract
        assert {p.name for p in folder.iterdir()} == {s.file_name for s in contract.SYNERGY_FILES} | {"_SUCCESS"}
        assert (folder / "_SUCCESS").stat().st_size == 0
    assert sorted(p.name for p in (clean / "srp_register").iterdir()) == sorted(REGISTER_FILES)
    assert sorted(p.name for p in (clean / "school_returns").iterdir()) == [
        contract.academic_year_folder(y) for y in range(2020, 2025)]
    assert (clean / "dfe" / "sen2_mi.csv").read_bytes() == (Path(__file__).parents[1] / "seeds" / "sen2_mi.csv").read_bytes()
    manifest = json.loads((clean / "SAMPLE_DATA.json").read_text())
    assert manifest["sample_data"] is True and manifest["defects"] == [] and manifest["seed"] == 7


def test_refuses_to_overwrite_a_folder_that_is_not_a_sample(tmp_path):
    (tmp_path / "real.csv").write_text("x")
    with pytest.raises(FileExistsError):
        generate(tmp_path, scale=SMALL)


def test_second_night_captures_a_day_of_changes(clean):
    for name in ("request.csv", "annual_review.csv", "person.csv"):
        first, second = synergy(clean, name, EXTRACTS[0]), synergy(clean, name, EXTRACTS[1])
        assert len(second) > len(first), name
    ended = [p for p in synergy(clean, "placement.csv") if p["leaving_date"] == "01/10/2025"]
    assert ended and all(p["leaving_date"] == "" for p in synergy(clean, "placement.csv", EXTRACTS[0])
                         if p["placement_id"] in {e["placement_id"] for e in ended})


# --- contract conformance (clean mode) ------------------------------------------------------

@pytest.mark.parametrize("extract", EXTRACTS)
def test_synergy_files_conform_to_the_contract(clean, extract):
    tables = {}
    for source in contract.SYNERGY_FILES:
        path = clean / "synergy" / extract / source.file_name
        assert header(path) == list(source.columns)
        tables[source.file_name] = assert_conforms(path, source, dt.date.fromisoformat(extract))
    for source in contract.SYNERGY_FILES:
        for fk in source.foreign_keys:
            known = {row[fk.ref_column] for row in tables[fk.ref_file]}
            for row in tables[source.file_name]:
                value = row[fk.column]
                assert (fk.optional and value == "") or value in known, (source.file_name, fk.column, value)


def test_placements_name_exactly_one_establishment_or_setting(clean):
    gias = gias_rows(clean)
    urns = {g["URN"] for g in gias}
    ukprns = {g["UKPRN"] for g in gias if g["UKPRN"]}
    for row in synergy(clean, "placement.csv"):
        given = [k for k in ("urn", "ukprn", "sen_setting") if row[k]]
        assert len(given) == 1, row
        assert not row["urn"] or row["urn"] in urns
        assert not row["ukprn"] or row["ukprn"] in ukprns
        assert (row["resourced_provision_indicator"] == "Y") == bool(row["srp_designation"])


def test_people_have_valid_identifiers(clean):
    persons = synergy(clean, "person.csv")
    upns = [p["upn"] for p in persons if p["upn"]]
    assert upns and all(upn_check.is_valid(u) for u in upns)
    assert len(upns) == len(set(upns))
    assert all(re.fullmatch(r"\d{10}", p["uln"]) for p in persons if p["uln"])
    districts = Counter(p["home_district"] for p in persons)
    assert set(districts) <= set(contract.HOME_DISTRICT_CODES)


def test_gias_is_windows_1252_with_gias_headers(clean):
    raw = (clean / "gias" / "edubase_20250901.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # typographic characters encoded as cp1252
    text = raw.decode("cp1252")
    assert "\u2019" in text or "\u00e9" in text
    columns = header(clean / "gias" / "edubase_20250901.csv", encoding="cp1252")
    assert set(contract.GIAS.columns) <= set(columns)
    assert len(set(columns) - set(contract.GIAS.columns)) >= 10
    rows = assert_conforms(clean / "gias" / "edubase_20250901.csv", contract.GIAS, dt.date(2025, 9, 1))
    assert {r["LA (code)"] for r in rows} > {"886"}
    kent = council.load(council.council_path("886"))
    assert {r["DistrictAdministrative (name)"] for r in rows if r["LA (code)"] == "886"} == set(kent.district_names)


def test_srp_register_conforms_and_points_at_gias_schools(clean):
    urns = {g["URN"]: g for g in gias_rows(clean)}
    for name in REGISTER_FILES:
        path = clean / "srp_register" / name
        assert header(path) == list(contract.SRP_REGISTER.columns)
        rows = assert_conforms(path, contract.SRP_REGISTER, academic_year=name[-11:-4])
        for row in rows:
            assert int(row["commissioned_places"]) >= 0
            assert row["srp_id"] == f"SRP-{row['urn']}"
            assert urns[row["urn"]]["TypeOfResourcedProvision (name)"].startswith("Resourced provision")
            assert row["academic_year"].replace("/", "-") in name


def test_returns_read_back_without_errors_and_match_synergy(clean):
    upns = {p["upn"] for p in synergy(clean, "person.csv")}
    count = 0
    for path, parsed in returns(clean):
        count += 1
        assert parsed.errors == [], (path.name, parsed.errors[:3])
        assert check_return_context(parsed, path.parent.name) == []
        assert path.name.startswith(parsed.details.values["urn"])
        assert {r.values["upn"] for r in parsed.pupils if r.values["upn"]} <= upns
    assert count >= 5 * 6


# --- defects --------------------------------------------------------------------------------

SYNERGY_CHECKS = {
    "impossible_date": lambda cells, col, value, ctx: cells[col] == value == "31/02/2024",
    "unknown_sen_type": lambda cells, col, value, ctx: cells[col] == value and value not in contract.SEN_TYPE_CODES,
    "blank_srp_designation": lambda cells, col, value, ctx: cells[col] == "" and cells[ctx["rp"]] == "Y"
    and ctx["designations"][cells[ctx["urn"]]] > 1,
    "non_numeric_person_id": lambda cells, col, value, ctx: cells[col] == NON_NUMERIC_PERSON_ID,
    "duplicate_placement_id": lambda cells, col, value, ctx: ctx["placement_ids"][cells[col]] == 2,
    "orphan_sen_need": lambda cells, col, value, ctx: cells[col] not in ctx["plan_ids"],
    "too_few_fields": lambda cells, col, value, ctx: len(cells) < len(contract.SYNERGY_ANNUAL_REVIEW.columns),
}


def test_every_synergy_gias_and_register_defect_is_in_the_files(defective):
    manifest = json.loads((defective / "SAMPLE_DATA.json").read_text())
    found = Counter()
    register = read_rows(defective / "srp_register" / "srp_register_2024-25.csv")
    for entry in manifest["defects"]:
        path = defective / entry["file"]
        if entry["defect"] in SYNERGY_CHECKS:
            extract = path.parent.name
            columns = header(path)
            ctx = {
                "rp": columns.index("resourced_provision_indicator") if "urn" in columns else None,
                "urn": columns.index("urn") if "urn" in columns else None,
                "designations": Counter(r["urn"] for r in register),
                "placement_ids": Counter(r["placement_id"] for r in synergy(defective, "placement.csv", extract)),
                "plan_ids": {r["plan_id"] for r in synergy(defective, "named_plan.csv", extract)},
            }
            cells = line_cells(path, entry["line"])
            column = columns.index(entry["column"]) if entry["column"] else None
            assert SYNERGY_CHECKS[entry["defect"]](cells, column, entry.get("value"), ctx), entry
        elif entry["defect"] == "gias_text_easting":
            cells = line_cells(path, entry["line"], encoding="cp1252")
            assert cells[header(path, "cp1252").index("Easting")] == entry["value"]
        elif entry["defect"] == "srp_negative_places":
            assert int(line_cells(path, entry["line"])[header(path).index("commissioned_places")]) < 0
        found[entry["defect"]] += 1
    assert set(SYNERGY_CHECKS) | {"gias_text_easting", "srp_negative_places"} <= set(found)


def test_every_return_defect_is_in_the_workbooks(defective):
    manifest = json.loads((defective / "SAMPLE_DATA.json").read_text())
    upns = {p["upn"] for p in synergy(defective, "person.csv")}
    kinds = set()
    for entry in manifest["defects"]:
        if not entry["defect"].startswith("return_"):
            continue
        kinds.add(entry["defect"])
        path = defective / entry["file"]
        parsed = read_return_workbook(path)
        pupils = parsed.pupils
        completed = dt.date.fromisoformat(parsed.details.values["date_completed"][:10]) \
            if "-" in parsed.details.values["date_completed"] else uk(parsed.details.values["date_completed"])
        check = entry["defect"]
        if check == "return_resubmitted":
            later = read_return_workbook(defective / entry["superseded_by"])
            later_day = later.details.values["date_completed"]
            assert later_day != parsed.details.values["date_completed"]
            assert parsed.errors and not later.errors
        elif check == "return_late":
            assert completed > dt.date(contract.academic_year_start(path.parent.name) + 1, 9, 30)
        elif check == "return_wrong_year":
            assert check_return_context(parsed, path.parent.name)
        elif check == "return_pupil_not_in_synergy":
            assert entry["value"] in {r.values["upn"] for r in pupils} and entry["value"] not in upns
        elif check == "return_pupil_missing":
            assert entry["value"] in upns and entry["value"] not in {r.values["upn"] for r in pupils}
        elif check == "return_blank_designation":
            assert pupils[entry["pupil_row"] - 1].values["designation"] is None
        elif check == "return_text_in_number":
            assert pupils[entry["pupil_row"] - 1].values["attendance_pct"] == "ninety"
            assert any(i.rule == "not_a_number" for i in parsed.errors)
        elif check == "return_renamed":
            assert not path.name.startswith(entry["urn"])
    assert kinds == {"return_resubmitted", "return_late", "return_wrong_year", "return_pupil_not_in_synergy",
                     "return_pupil_missing", "return_blank_designation", "return_text_in_number",
                     "return_renamed"}


def test_defects_are_few(defective):
    manifest = json.loads((defective / "SAMPLE_DATA.json").read_text())
    assert 15 <= len(manifest["defects"]) <= 40


# --- realism --------------------------------------------------------------------------------

def srp_designations(root: Path, year: int) -> list[dict[str, str]]:
    return read_rows(root / "srp_register" / f"srp_register_{contract.academic_year_folder(year)}.csv")


def phase_transfers(root: Path, year: int) -> list[tuple[str, str | None]]:
    """(home district, destination kind) of primary SRP Year 6 pupils on census day ``year``."""
    primary_srp_urns = {r["urn"] for r in srp_designations(root, year) if r["phase"] == "Primary"}
    secondary_srp_urns = {r["urn"] for r in srp_designations(root, year + 1) if r["phase"] == "Secondary"}
    plans = {p["plan_id"]: p["person_id"] for p in synergy(root, "named_plan.csv")}
    persons = {p["person_id"]: p for p in synergy(root, "person.csv")}
    placements = synergy(root, "placement.csv")
    census, next_census = contract.census_day(year), contract.census_day(year + 1)
    result = []
    for row in placements:
        if row["resourced_provision_indicator"] != "Y" or row["urn"] not in primary_srp_urns or not on_roll(row, census):
            continue
        person = persons[plans[row["plan_id"]]]
        born = uk(person["date_of_birth"])
        if (dt.date(year, 8, 31).year - born.year - ((8, 31) < (born.month, born.day))) - 4 != 6:
            continue
        after = [p for p in placements if p["plan_id"] == row["plan_id"] and p["placement_rank"] == "1"
                 and on_roll(p, next_census)]
        kind = None
        if after:
            kind = "secondary SRP" if after[0]["urn"] in secondary_srp_urns and after[0]["resourced_provision_indicator"] == "Y" else "other"
        result.append((person["home_district"], kind))
    return result


def test_small_scale_is_loosely_realistic(clean):
    persons = {p["person_id"]: p for p in synergy(clean, "person.csv")}
    active = active_plans(clean, CENSUS_2024)
    assert 250 <= len(active) <= 600
    male = sum(persons[p["person_id"]]["sex"] == "M" for p in active) / len(active)
    assert 0.6 <= male <= 0.85
    needs = Counter(n["sen_type"] for n in synergy(clean, "sen_need.csv") if n["sen_type_rank"] == "1")
    assert needs.most_common(1)[0][0] == "ASD"
    register = srp_designations(clean, 2024)
    assert len(register) >= 6
    assert {r["phase"] for r in register} == {"Primary", "Secondary"}
    gias = {g["URN"]: g for g in gias_rows(clean)}
    assert len({gias[r["urn"]]["DistrictAdministrative (name)"] for r in register}) >= 3
    assert any(phase_transfers(clean, year) for year in range(2020, 2024))
    requests = synergy(clean, "request.csv")
    refused = sum(r["request_outcome"] == "N" for r in requests) / len(requests)
    assert 0.15 <= refused <= 0.4


@pytest.mark.slow
def test_scale_one_looks_like_kent(kent):
    persons = {p["person_id"]: p for p in synergy(kent, "person.csv")}
    active = active_plans(kent, CENSUS_2024)
    assert 19000 <= len(active) <= 20000
    earlier = active_plans(kent, contract.census_day(2020))
    assert 1.3 <= len(active) / len(earlier) <= 1.6  # about 10% a year
    male = sum(persons[p["person_id"]]["sex"] == "M" for p in active) / len(active)
    assert 0.70 <= male <= 0.75
    active_ids = {p["plan_id"] for p in active}
    needs = Counter(n["sen_type"] for n in synergy(kent, "sen_need.csv")
                    if n["sen_type_rank"] == "1" and n["plan_id"] in active_ids)
    assert 0.38 <= needs["ASD"] / len(active) <= 0.46
    assert 0.16 <= needs["SEMH"] / len(active) <= 0.24
    assert 0.13 <= needs["SLCN"] / len(active) <= 0.21

    for name in REGISTER_FILES:
        assert_conforms(kent / "srp_register" / name, contract.SRP_REGISTER, academic_year=name[-11:-4])
    register = srp_designations(kent, 2024)
    assert 90 <= len(register) <= 110
    assert 85 <= len({r["urn"] for r in register}) <= 100
    assert 1500 <= sum(int(r["commissioned_places"]) for r in register) <= 2200
    srp_urns = {r["urn"] for r in register}
    in_srp = [p for p in synergy(kent, "placement.csv") if p["resourced_provision_indicator"] == "Y"
              and p["urn"] in srp_urns and on_roll(p, CENSUS_2024)]
    assert 1300 <= len(in_srp) <= 2200
    pupils = Counter((p["urn"], p["srp_designation"]) for p in in_srp)
    occupancy = [pupils[(r["urn"], r["designation"])] / int(r["commissioned_places"]) for r in register]
    assert sum(0.5 <= share <= 1.35 for share in occupancy) >= 0.85 * len(register)
    funding = sum(10000 * int(r["commissioned_places"]) for r in register) + sum(
        int(next(r["top_up_gbp"] for r in register if r["urn"] == p["urn"])) for p in in_srp)
    assert 20e6 <= funding <= 27e6  # ~£22m: places >= 1,500 at £10k plus top-ups >= £6k

    requests = synergy(kent, "request.csv")
    by_year = Counter(uk(r["received_date"]).year for r in requests)
    assert all(3500 <= by_year[y] <= 5800 for y in range(2021, 2025))
    decided = [r for r in requests if r["request_outcome"]]
    assert 0.22 <= sum(r["request_outcome"] == "N" for r in decided) / len(decided) <= 0.32
    received = {r["request_id"]: uk(r["received_date"]) for r in requests}
    issued = [a for a in synergy(kent, "assessment.csv") if a["assessment_outcome"] == "I"]
    for year in range(2021, 2025):
        in_year = [a for a in issued if uk(a["assessment_outcome_date"]).year == year]
        timely = sum((uk(a["assessment_outcome_date"]) - received[a["request_id"]]).days <= 140 for a in in_year)
        assert 0.3 <= timely / len(in_year) <= 0.6, year

    latest_review = {}
    for review in synergy(kent, "annual_review.csv"):
        held = uk(review["review_meeting_date"])
        if held <= CENSUS_2024:
            latest_review[review["plan_id"]] = max(held, latest_review.get(review["plan_id"], held))
    year_ago = CENSUS_2024 - dt.timedelta(days=365)
    due = [p["plan_id"] for p in active if uk(p["start_date"]) <= year_ago]
    on_time = sum(latest_review.get(plan, year_ago) > year_ago for plan in due) / len(due)
    assert 0.70 <= on_time <= 0.85

    transfers = [t for year in range(2020, 2024) for t in phase_transfers(kent, year)]
    def continuing(short: bool) -> float:
        group = [kind for district, kind in transfers if (district in SHORT_SECONDARY_DISTRICTS) == short]
        return sum(kind == "secondary SRP" for kind in group) / len(group)
    assert continuing(short=True) < continuing(short=False) - 0.15
