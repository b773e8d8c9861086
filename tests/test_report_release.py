"""The two editions of the report on one warehouse: hand-made gold tables and a release written
after the release contract (external.<table> with <column>_flag, external.release_audit).

* public: a cell the release flags 'c' is `c` on every page and chart that shows it, and a
  figure the report computes over it (a school's total over its SRPs, returned minus Synergy,
  the key-figure tiles) is `c` too, although gold would allow it;
* internal: the unsuppressed gold figures, OFFICIAL-SENSITIVE on every page;
* public without a release: no figure about children at all, and the appendix says why."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from test_report_render import (
    AUDIT,
    GENERATED_AT,
    _create,
    _rolled_up,
    _school_row,
    row_starting,
    table_rows,
    write_release,
)

from orchestration.report import build_report

PUBLIC, INTERNAL = "public", "internal"
MARKING = "OFFICIAL-SENSITIVE"
YEAR = "2024/25"
EPSILON = "100005"
# (urn, name, district, area, phase, designation, commissioned, on roll, on roll returned)
SCHOOLS = [
    ("100001", "Alpha Primary School", "Ashford", "South Kent", "Primary", "ASD", 12, 10, 10),
    (EPSILON, "Epsilon School", "Dover", "South Kent", "Primary", "ASD", 10, 8, 8),
    (EPSILON, "Epsilon School", "Dover", "South Kent", "Primary", "SLCN", 10, 9, 9),
    ("100003", "Gamma High School", "Dover", "South Kent", "Secondary", "ASD", 15, 16, 15),
]
# The release hides the SLCN pupils on roll wherever they appear (9 at every level): gold
# would show them, and Epsilon's total 17 = 8 + 9 with them.
HIDE = (("srp_places", {"designation": "SLCN"}, "pupils_on_roll"),)


def write_gold(path: Path) -> Path:
    schools = [_school_row(YEAR, s) for s in SCHOOLS]
    rows = schools + _rolled_up(schools)
    for row in rows:
        row["occupancy_pct"] = round(100.0 * row["pupils_on_roll"] / row["commissioned_places"], 1)
    columns = tuple(rows[0])
    with duckdb.connect(str(path)) as con:
        con.execute("create schema gold")
        _create(con, "gold.srp_places", columns, [tuple(r[c] for c in columns) for r in rows])
    return path


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("editions")
    warehouse = write_release(write_gold(root / "warehouse.duckdb"), HIDE)
    return {
        audience: build_report(warehouse, root / audience, audience=audience,
                               generated_at=GENERATED_AT).parent
        for audience in (PUBLIC, INTERNAL)
    }


def read(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")


def tiles(html: str) -> dict[str, str]:
    return dict(re.findall(
        r'class="tile-label">([^<]+)</div>\s*<div class="tile-value[^"]*">([^<]+)<', html))


def svg_titles(html: str) -> list[str]:
    return re.findall(r"<title>([^<]*)</title>", "".join(re.findall(r"<svg.*?</svg>", html, re.S)))


def rows_with(html: str, *cells: str) -> list[list[str]]:
    return [r for r in table_rows(html) if r[: len(cells)] == list(cells)]


def test_a_hidden_cell_is_c_on_every_page_that_shows_it(editions):
    public = editions[PUBLIC]
    srp_rows = {name: rows_with(read(public, name), "Epsilon School", "Primary", "SLCN")
                for name in ("district-dover.html", f"school-{EPSILON}.html")}
    # places, on roll (Synergy), on roll (return), occupancy, vacancies, over places: the
    # release flags on roll and the figures built on it
    for name, found in srp_rows.items():
        assert found == [["Epsilon School", "Primary", "SLCN", "10", "c", "9", "c", "c", "c"]], name
        # ... and nothing the release shows is hidden by the report: the school's other SRP
        assert rows_with(read(public, name), "Epsilon School", "Primary", "ASD") == [
            ["Epsilon School", "Primary", "ASD", "10", "8", "8", "80.0%", "2", "0"]], name
    for name in ("index.html", "area-south-kent.html", "district-dover.html"):
        assert rows_with(read(public, name), "Primary", "SLCN")[0][3:5] == ["10", "c"], name
    for path in public.glob("*.html"):
        titles = svg_titles(path.read_text(encoding="utf-8"))
        assert not [t for t in titles if t.startswith("Pupils on roll: 9")], path.name
    # the SRP's bar: no bar for on roll, its label c against 10 places
    assert re.search(r'class="symbol">c</tspan> / 10', read(public, "district-dover.html"))


def test_a_total_the_report_computes_over_a_hidden_part_is_c(editions):
    school = read(editions[PUBLIC], f"school-{EPSILON}.html")
    # the school's total over its two SRPs: 8 + hidden = c (gold: 17); occupancy, vacancies
    # and pupils over places with it; places and the returned count are shown
    assert row_starting(school, "Epsilon School total") == [
        "Epsilon School total", "", "", "20", "c", "17", "c", "c", "c"]
    assert tiles(school) == {"Places commissioned": "20", "Pupils on roll": "c",
                             "Occupancy": "c", "Vacancies": "c", "Returns accepted": "1"}
    assert "Pupils on roll: 17" not in " ".join(svg_titles(school))
    # returned minus Synergy: 17 - hidden = c, on every page listing the school's return
    for name in ("index.html", "district-dover.html", f"school-{EPSILON}.html"):
        assert row_starting(read(editions[PUBLIC], name), "Epsilon School", -1) == [
            "Epsilon School", "Dover", "Accepted", "c", "17", "c"], name


def test_the_internal_edition_shows_the_gold_figures(editions):
    internal = editions[INTERNAL]
    school = read(internal, f"school-{EPSILON}.html")
    assert rows_with(school, "Epsilon School", "Primary", "SLCN") == [
        ["Epsilon School", "Primary", "SLCN", "10", "9", "9", "90.0%", "1", "0"]]
    assert row_starting(school, "Epsilon School total") == [
        "Epsilon School total", "", "", "20", "17", "17", "85.0%", "3", "0"]
    assert tiles(school)["Pupils on roll"] == "17"
    assert row_starting(read(internal, "index.html"), "Epsilon School", -1) == [
        "Epsilon School", "Dover", "Accepted", "17", "17", "0"]


def test_only_the_internal_edition_is_marked_official_sensitive_on_every_page(editions):
    internal_pages = sorted(editions[INTERNAL].glob("*.html"))
    assert len(internal_pages) == 1 + 4 + 12 + 3  # county, areas, districts, SRP schools
    for path in internal_pages:
        html = path.read_text(encoding="utf-8")
        title = re.search(r"<title>(.*?)</title>", html).group(1)
        assert title.startswith(f"{MARKING}: "), path.name
        banner = re.search(r'<div class="marking" role="note">(.*?)</div></div>', html).group(1)
        assert "must not be shared outside the council" in banner, path.name
        assert "the public report is the one to share" in banner, path.name
        assert f'<div class="marking-print" aria-hidden="true">{MARKING}' in html, path.name
    for path in sorted(editions[PUBLIC].glob("*.html")):
        html = path.read_text(encoding="utf-8")
        assert MARKING not in html and 'class="marking' not in html, path.name


def test_both_editions_show_the_release_audit_in_the_appendix(editions):
    for folder in editions.values():
        html = read(folder, "index.html")
        quality = table_rows(html[html.index('<section id="data-quality"'):])
        assert quality[:8] == [
            ["Disclosure audit", "Result"],
            ["Cells published", "1,234"],
            ["Cells hidden (c)", "56"],
            ["Relations checked", "789"],
            ["Narrowest interval of a hidden cell", AUDIT["narrowest_interval"]],
            ["Narrowest cell", AUDIT["narrowest_cell"]],
            ["Audit passed", "Yes"],
            ["Audited at", "01 June 2025 08:00"],
        ]


def test_without_a_release_the_public_edition_shows_no_figure_and_says_why(tmp_path):
    warehouse = write_gold(tmp_path / "warehouse.duckdb")  # gold only: nothing released yet
    index = build_report(warehouse, tmp_path / "public", generated_at=GENERATED_AT)
    html = index.read_text(encoding="utf-8")
    assert "No SRP places are recorded here for the year." in html
    assert "Not yet available: external.srp_travel has not been built." in html
    assert "No audited release in this warehouse yet (external.release_audit)" in html
    assert not tiles(html)
    assert sorted(p.name for p in index.parent.glob("*.html")) == sorted(
        ["index.html"] + [p.name for p in index.parent.glob("area-*.html")]
        + [p.name for p in index.parent.glob("district-*.html")]
    )  # no school pages: the release lists no school


def test_the_public_report_asset_reads_the_release_and_the_internal_one_gold():
    import dagster as dg

    from orchestration.defs.report.assets import internal_report, public_report

    assert public_report.keys == {dg.AssetKey(["report", "public_report"])}
    assert set(public_report.asset_deps[dg.AssetKey(["report", "public_report"])]) == {
        dg.AssetKey(["disclosure", "release"])}
    internal_deps = internal_report.asset_deps[dg.AssetKey(["report", "internal_report"])]
    assert dg.AssetKey(["gold", "srp_places"]) in internal_deps
    assert not [k for k in internal_deps if k.path[0] != "gold"]


def test_a_release_whose_audit_failed_never_reaches_the_public_report(tmp_path):
    from orchestration.report import ReleaseNotPassed

    good = tmp_path / "good.duckdb"
    write_release(write_gold(good), HIDE)
    out = tmp_path / "public"
    before = build_report(good, out, generated_at=GENERATED_AT).read_text(encoding="utf-8")
    failed = write_release(write_gold(tmp_path / "failed.duckdb"), (),
                           audit={**AUDIT, "passed": False})
    with pytest.raises(ReleaseNotPassed, match="did not pass"):
        build_report(failed, out, generated_at=GENERATED_AT)
    assert (out / "index.html").read_text(encoding="utf-8") == before  # the last good one
    internal = build_report(failed, tmp_path / "internal", audience=INTERNAL,
                            generated_at=GENERATED_AT)  # gold: the audit does not apply
    assert ["Audit passed", "No"] in table_rows(internal.read_text(encoding="utf-8"))


def test_make_run_prints_where_each_edition_is(tmp_path, monkeypatch):
    from orchestration.run_all import report_lines
    from orchestration.settings import Paths

    monkeypatch.setenv("SEND_DATA_ROOT", str(tmp_path))
    monkeypatch.delenv("SEND_REPORT_DIR", raising=False)
    internal = tmp_path / "report" / "internal" / "index.html"
    internal.parent.mkdir(parents=True)
    internal.write_text("x")
    assert report_lines(Paths.from_env()) == [
        f"public report  : {tmp_path / 'report' / 'public' / 'index.html'}  (from the audited "
        "release: the one to share; not written yet)",
        f"internal report: {internal}  (OFFICIAL-SENSITIVE: council staff only)",
    ]


def test_pages_of_the_old_single_report_are_removed_and_the_editions_kept(tmp_path):
    from orchestration.report import remove_flat_report

    for name in ("index.html", "district-dover.html", "school-100001.html", "notes.txt",
                 "public/index.html", "internal/index.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert remove_flat_report(tmp_path) == ["index.html", "district-dover.html",
                                            "school-100001.html"]
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.*")) == [
        "internal/index.html", "notes.txt", "public/index.html"]


def test_the_internal_edition_reads_gold_with_only_x_and_z_flags():
    from orchestration.disclosure.declarations import load_declarations
    from orchestration.report.data import Table, gold_as_release

    roles = load_declarations().tables["srp_places"].roles
    gold = Table("srp_places", ("level", "commissioned_places", "pupils_on_roll", "occupancy_pct"),
                 ({"level": "school", "commissioned_places": 0, "pupils_on_roll": 3,
                   "occupancy_pct": None},
                  {"level": "school", "commissioned_places": 8, "pupils_on_roll": None,
                   "occupancy_pct": None}), roles)
    released = gold_as_release(gold)
    assert released.columns == ("level", "commissioned_places", "pupils_on_roll",
                                "pupils_on_roll_flag", "occupancy_pct", "occupancy_pct_flag")
    assert [(r["pupils_on_roll"], r["pupils_on_roll_flag"], r["occupancy_pct_flag"])
            for r in released.rows] == [(3, None, "z"), (None, "x", "x")]
