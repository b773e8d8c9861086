"""spec.py against outside descriptions of the SEN2 person-level return: each test pins one
fact checked by hand against a named public source (docs/SEN2.md "How spec.py was checked"),
so changing that fact in spec.py fails here. Fast: spec.py only, no files, no warehouse.

Sources (the first four from the public GitHub repository MastodonC/witan.sen2, read at the
commits named; its code is not copied, only the names and codes it records):

* BLADE_V12 - src/witan/sen2/return/person_level/blade/csv.clj
  @ a2b56386dd5d7c230fd937b1e1fd494329efba14
  (reads a COLLECT Blade CSV export; marks items "<v1.2" / ">=v1.2")
* BLADE_OLD - src/witan/sen2/return/person_level/blade_export/csv.clj
  @ 60d7066abdd71f47b2beef8fcd9da080013127c9
  (the earlier Blade reader: the layout before v1.2)
* DICT_2024 - src/witan/sen2/return/person_level/dictionary.clj
  @ eeec3855ee93492c26370feb44f1b1e8e9b487c9
  (code lists "per ... the DfE 2024 SEN2 return", 2024 guide v1.1)
* DICT_2025 - the same path @ 0ff9e2a5f2599b3742e97f135bcb145f95616b02 (2025 guide v1.4)
* Capita One Education's SEN2 tool help, "Item 5.5 Annual review decision <ReviewOutcome>",
  https://onepublications.com/oneeducation/mergedProjects/Statutory/SEN2_Tool/
  Item_5.5_Annual_review_decision.htm
  (a supplier's documentation, third party)

Which collection year each Blade layout belongs to is spec.py's own (issue 16: 2024 = the
layout before v1.2, 2025 = v1.2): witan.sen2 dates the layouts by template version only, so
the item sets are verified facts and the year each is given is pinned as spec.py has it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from orchestration.sen2 import spec

# --- modules, Blade files and identifier columns (BLADE_V12; BLADE_OLD agrees) -----------

# module key -> (number, Blade file suffix, parent), in the order witan.sen2 lists them
# (module-titles, make-file-names, module-key->ancestors in BLADE_V12).
MODULES = {
    "header": ("0", "sen2", None),
    "person": ("1", "person", "header"),
    "requests": ("2", "requests", "person"),
    "assessment": ("3", "assessment", "requests"),
    "named_plan": ("4a", "namedplan", "assessment"),
    "plan_detail": ("4b", "plandetail", "named_plan"),
    "active_plans": ("5a", "activeplans", "requests"),
    "placement_detail": ("5b", "placementdetail", "active_plans"),
    "sen_need": ("5c", "senneed", "active_plans"),
}


def test_modules_numbers_blade_suffixes_and_parents():
    """BLADE_V12: nine modules 0-5c in this order, each Blade file's suffix, each parent."""
    assert [m.key for m in spec.MODULES] == list(MODULES)
    for module in spec.MODULES:
        assert (module.number, module.blade, module.parent) == MODULES[module.key], module.key


def test_blade_file_names():
    """BLADE_V12 make-file-names: Blade-Export_<DD-MM-YYYY>_<suffix>.csv."""
    export = dt.date(2023, 3, 31)
    assert spec.blade_file_name("header", export) == "Blade-Export_31-03-2023_sen2.csv"
    assert spec.blade_file_name("named_plan", export) == "Blade-Export_31-03-2023_namedplan.csv"
    assert ({m.key: spec.blade_file_name(m.key, export) for m in spec.MODULES}
            == {key: f"Blade-Export_31-03-2023_{blade}.csv"
                for key, (_, blade, _) in MODULES.items()})


def test_blade_identifier_columns():
    """BLADE_V12: every file starts <m>tableid, NativeId, <m>orderseqcolumn, sourceid, then
    (except sen2) its parent's <p>tableid; none of them is an item."""
    assert spec.blade_key_columns("header") == (
        "sen2tableid", "NativeId", "sen2orderseqcolumn", "sourceid")
    assert spec.blade_key_columns("person") == (
        "persontableid", "NativeId", "personorderseqcolumn", "sourceid", "sen2tableid")
    assert spec.blade_key_columns("placement_detail") == (
        "placementdetailtableid", "NativeId", "placementdetailorderseqcolumn", "sourceid",
        "activeplanstableid")
    assert spec.blade_key_columns("sen_need")[-1] == "activeplanstableid"
    assert spec.blade_key_columns("plan_detail")[-1] == "namedplantableid"
    assert spec.blade_key_columns("named_plan")[-1] == "assessmenttableid"
    assert spec.blade_key_columns("active_plans")[-1] == "requeststableid"
    keys = {c.lower() for m in spec.MODULES for c in spec.blade_key_columns(m.key)}
    assert not keys & {i.name for i in spec.ITEMS}


# --- items of each layout: the Blade columns other than the identifiers -------------------

_SHARED = {
    "requests": {"receiveddate", "rya", "requestoutcomedate", "requestoutcome",
                 "requestmediation", "requesttribunal", "exported"},
    "assessment": {"assessmentoutcome", "assessmentoutcomedate", "assessmentmediation",
                   "assessmenttribunal", "othermediation", "othertribunal", "week20"},
    "named_plan": {"startdate", "planres", "planwbp", "pb", "oa", "dp", "ceasedate",
                   "ceasereason"},
    "plan_detail": {"urn", "ukprn", "sensetting", "sensettingother", "placementrank",
                    "senunitindicator", "resourcedprovisionindicator"},
    "sen_need": {"sentype", "sentyperank"},
    "header": {"collection", "year", "referencedate", "sourcelevel", "softwarecode", "release",
               "serialno", "datetime", "lea", "dmo", "dco"},
}
_PERSON = {"surname", "forename", "personbirthdate", "ethnicity", "postcode", "upn",
           "uniquelearnernumber", "upnunknown"}
_PLACEMENT = {"urn", "ukprn", "sensetting", "sensettingother", "placementrank", "entrydate",
              "leavingdate", "senunitindicator", "resourcedprovisionindicator"}
# BLADE_OLD (and BLADE_V12's "<v1.2" columns): spec.py's 2024.
BLADE_BEFORE_V12 = _SHARED | {
    "person": _PERSON | {"gendercurrent"},
    "active_plans": {"transferla", "res", "wbp", "lastreview"},
    "placement_detail": _PLACEMENT | {"attendancepattern"},
}
# BLADE_V12's ">=v1.2" layout: spec.py's 2025.
BLADE_V12 = _SHARED | {
    "person": _PERSON | {"sex"},
    "active_plans": {"transferla", "reviewmeeting", "reviewoutcome", "lastreview"},
    "placement_detail": _PLACEMENT | {"res", "wbp"},
}


@pytest.mark.parametrize("year, layout", [(2024, BLADE_BEFORE_V12), (2025, BLADE_V12)])
def test_each_years_items_are_the_blade_columns_of_its_layout(year, layout):
    """BLADE_OLD / BLADE_V12: each module's items, every one and no other."""
    for module in spec.MODULES:
        assert {i.name for i in spec.items(module.key, year)} == layout[module.key], module.key


def test_the_changes_at_v12():
    """BLADE_V12's marks: gendercurrent -> sex; res and wbp move from 5a to 5b; reviewmeeting
    and reviewoutcome join 5a; attendancepattern leaves 5b. lastreview stays in 5a."""
    def names(module, year):
        return {i.name for i in spec.items(module, year)}
    assert "gendercurrent" in names("person", 2024) and "sex" not in names("person", 2024)
    assert "sex" in names("person", 2025) and "gendercurrent" not in names("person", 2025)
    assert {"res", "wbp"} <= names("active_plans", 2024) - names("active_plans", 2025)
    assert {"res", "wbp"} <= names("placement_detail", 2025) - names("placement_detail", 2024)
    assert {"reviewmeeting", "reviewoutcome"} <= names("active_plans", 2025)
    assert not {"reviewmeeting", "reviewoutcome"} & names("active_plans", 2024)
    assert "attendancepattern" in names("placement_detail", 2024)
    assert "attendancepattern" not in names("placement_detail", 2025)
    assert all("lastreview" in names("active_plans", y) for y in spec.YEARS)


def test_header_has_the_designated_officer_items_in_every_year():
    """BLADE_V12 and BLADE_OLD: the sen2 file has dmo and dco columns (Designated Medical /
    Clinical Officer; template.clj @ 2f40733f085ef86c8299eb279c95a86f7abb89e2 labels them):
    optional, not personal (the DfE's EHCP statistics publish them as Yes/No/Recruiting)."""
    for year in spec.YEARS:
        for name in ("dmo", "dco"):
            item = spec.item("header", name, year)
            assert item is not None and not item.mandatory and not item.personal, (year, name)


def test_not_yet_items_of_later_templates():
    """pre_submission.clj @ 8c2f8de5974d7cf447f9796201cf0d22e908ac51 marks these ">=v1.3";
    no year spec.py describes has them (docs/SEN2.md: an open question)."""
    later = {"requestsource", "reviewdraft", "phasetransferduedate", "phasetransferfinaldate",
             "dsco"}
    assert not later & {i.name for i in spec.ITEMS}


# --- kinds the Blade readers parse items as ------------------------------------------------

DATES = {  # BLADE_V12: parsed with its Blade date parser
    "header": {"referencedate"}, "person": {"personbirthdate"},
    "requests": {"receiveddate", "requestoutcomedate"}, "assessment": {"assessmentoutcomedate"},
    "named_plan": {"startdate", "ceasedate"}, "active_plans": {"reviewmeeting", "lastreview"},
    "placement_detail": {"entrydate", "leavingdate"},
}
BOOLEANS = {  # BLADE_V12: parsed as booleans (dp and exported are read as text: see docs)
    "requests": {"rya", "requestmediation", "requesttribunal"},
    "assessment": {"assessmentmediation", "assessmenttribunal", "othermediation",
                   "othertribunal", "week20"},
    "named_plan": {"pb", "oa"},
    "plan_detail": {"senunitindicator", "resourcedprovisionindicator"},
    "placement_detail": {"senunitindicator", "resourcedprovisionindicator"},
}
RANKS = {"plan_detail": {"placementrank"}, "placement_detail": {"placementrank"},
         "sen_need": {"sentyperank"}}  # BLADE_V12: parsed as small integers


def _of_kind(predicate) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for item in spec.ITEMS:
        if predicate(item):
            found.setdefault(item.module, set()).add(item.name)
    return found


def test_date_items():
    assert _of_kind(lambda i: i.kind == "date") == DATES


def test_boolean_items():
    found = _of_kind(lambda i: i.codes == "boolean")
    for module, names in BOOLEANS.items():
        assert names <= found.get(module, set()), module


def test_booleans_accept_both_spellings():
    """BLADE_V12 reads true/false; pre_submission.clj @ 8c2f8de reads 0/1."""
    assert set(spec.BOOLEAN_CODES) == {"true", "false", "1", "0"}


def test_rank_items():
    assert _of_kind(lambda i: i.kind == "rank") == RANKS


# --- code lists ------------------------------------------------------------------------------

SEN_SETTING = ("OLA", "OPA", "EHE", "EYP", "OTH", "NEET", "NIEC", "NIEO")
SEN_TYPE_2024 = ("SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD",
                 "OTH")


def test_sen_setting_codes():
    """DICT_2024 and DICT_2025 sen-setting (items 4.7c and 5.7c): the same eight, in order."""
    for year in spec.YEARS:
        assert spec.CODE_LISTS["sen_setting"][year] == SEN_SETTING, year


def test_sen_type_codes_ds_only_from_2025():
    """DICT_2024 sen-type: twelve codes without DS; DICT_2025 (item 5.8a): DS added as the
    twelfth, before OTH."""
    assert spec.CODE_LISTS["sen_type"][2024] == SEN_TYPE_2024
    assert spec.CODE_LISTS["sen_type"][2025] == SEN_TYPE_2024[:-1] + ("DS", "OTH")
    assert "DS" not in spec.codes(spec.item("sen_need", "sentype", 2024), 2024)
    assert "DS" in spec.codes(spec.item("sen_need", "sentype", 2025), 2025)


def test_cease_reason_codes():
    """DICT_2025 cease-reason (item 4.6): 1 Max Age ... 9 Other."""
    assert spec.CODE_LISTS["cease_reason"][2025] == tuple(str(i) for i in range(1, 10))
    assert spec.item("named_plan", "ceasereason", 2025).codes == "cease_reason"


def test_review_outcome_codes():
    """Capita One SEN2 tool, item 5.5 <ReviewOutcome>: M maintain, A amend, C cease (blank
    when no review meeting is reported: the item is optional)."""
    assert set(spec.CODE_LISTS["review_outcome"][2025]) == {"M", "A", "C"}
    item = spec.item("active_plans", "reviewoutcome", 2025)
    assert item.codes == "review_outcome" and not item.mandatory


# --- dates ---------------------------------------------------------------------------------


def test_blade_dates_with_english_month_abbreviations():
    """BLADE_V12 parse-date: "2022-Sep-28 00:00:00", pattern uuuu-LLL-dd in en_US."""
    assert spec.parse_date("2022-Sep-28 00:00:00") == dt.date(2022, 9, 28)
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    for number, month in enumerate(months, start=1):
        assert spec.parse_date(f"2025-{month}-16 00:00:00") == dt.date(2025, number, 16)


def test_xml_and_template_dates():
    """template.clj @ 2f40733f: dates ccyy-mm-dd (as in the XML return)."""
    assert spec.parse_date("2022-09-28") == dt.date(2022, 9, 28)
    assert spec.parse_date("28/09/2022") is None


def test_designated_officer_items_round_trip_in_both_formats(tmp_path):
    """The header's dmo and dco are written under their own names (<DMO>, <DCO> in the XML
    header; dmo, dco columns of the Blade sen2 file) and read back as items, with no problem."""
    from orchestration.sen2 import validate as sen2_validate
    from orchestration.sen2.blade import read_blade
    from orchestration.sen2.example import example_return
    from orchestration.sen2.writer import write_blade, write_xml
    from orchestration.sen2.xml_reader import read_xml

    source = example_return(1, 2025)
    source.records["header"][0].values.update({"dmo": "Yes", "dco": "Recruiting"})
    xml = write_xml(source, tmp_path / "return.xml")
    assert "<DMO>Yes</DMO>" in xml.read_text() and "<DCO>Recruiting</DCO>" in xml.read_text()
    write_blade(source, tmp_path / "blade", dt.date(2025, 2, 3))
    for result in (read_xml(xml), read_blade(tmp_path / "blade")):
        header = result.records["header"][0].values
        assert (header["dmo"], header["dco"]) == ("Yes", "Recruiting")
        assert not [p for p in sen2_validate.validate(result) if p.rule == "unexpected_item"]
