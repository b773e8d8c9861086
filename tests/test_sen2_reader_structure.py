"""Where the SEN2 XML reader (which has libxml2 report only the structural elements: Message,
Header, Persons, Person) finds an element out of place, and where an element named like a
structural one is just an item. Pins what the faster reader had to keep from the reader that
saw every element's start: the same rule for each case."""

from __future__ import annotations

import pytest

from orchestration.sen2.records import Sen2FileError
from orchestration.sen2.xml_reader import Limits, read_xml

HEADER = ("<Header><CollectionDetails><Collection>SEN2</Collection><Year>2025</Year>"
          "<ReferenceDate>2025-01-16</ReferenceDate></CollectionDetails></Header>")
PERSON = ("<Person><Surname>A</Surname><Requests><RYA>0</RYA><ActivePlans><SENneed>"
          "<SENtype>ASD</SENtype></SENneed></ActivePlans></Requests></Person>")


def message(body: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><Message>{body}</Message>'.encode()


REFUSED = {
    "junk_before_header": (message("<Junk>x</Junk>" + HEADER + f"<Persons>{PERSON}</Persons>"),
                           "unexpected_element"),
    "junk_between": (message(HEADER + f"<Junk/><Persons>{PERSON}</Persons>"),
                     "unexpected_element"),
    "junk_after_persons": (message(HEADER + f"<Persons>{PERSON}</Persons><Junk/>"),
                           "unexpected_element"),
    "message_in_message": (message("<Message/>" + HEADER + f"<Persons>{PERSON}</Persons>"),
                           "unexpected_element"),
    "stray_before_first_person": (message(HEADER + f"<Persons><X/>{PERSON}</Persons>"),
                                  "unexpected_element"),
    "stray_between_persons": (message(HEADER + f"<Persons>{PERSON}<X>t</X>{PERSON}</Persons>"),
                              "unexpected_element"),
    "person_under_root": (message(HEADER + PERSON), "unexpected_element"),
    "persons_in_persons": (message(HEADER + f"<Persons><Persons>{PERSON}</Persons></Persons>"),
                           "unexpected_element"),
    "item_under_root": (message(HEADER + f"<Surname>x</Surname><Persons>{PERSON}</Persons>"),
                        "unexpected_element"),
    "second_header_at_the_end": (message(HEADER + f"<Persons>{PERSON}</Persons>" + HEADER),
                                 "unexpected_element"),
    "deep_nesting_in_an_item": (message(HEADER + "<Persons><Person><Surname>" + "<a>" * 20
                                        + "</a>" * 20 + "</Surname></Person></Persons>"),
                                "too_deep"),
    "deep_nesting_in_the_header": (message("<Header>" + "<a>" * 20 + "x" + "</a>" * 20
                                           + "</Header><Persons/>"), "too_deep"),
    "wrong_root_with_nothing_inside": (b"<Foo><Bar/></Foo>", "wrong_root"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_an_element_out_of_place_is_refused(case, tmp_path):
    data, rule = REFUSED[case]
    path = tmp_path / f"{case}.xml"
    path.write_bytes(data)
    with pytest.raises(Sen2FileError) as caught:
        read_xml(path)
    assert caught.value.rule == rule and path.name in caught.value.reason


def test_structural_names_inside_a_person_or_the_header_are_items(tmp_path):
    """An empty Header or Person inside a person is an item of that name (validation warns
    about it as an item the year does not have), as the reader always read it."""
    path = tmp_path / "items.xml"
    path.write_bytes(message(HEADER + "<Persons><Person><Surname>A</Surname><Header/>"
                                      "<Person/></Person></Persons>"))
    read = read_xml(path)
    [person] = read.records["person"]
    assert person.values == {"surname": "A", "header": None, "person": None}


def test_depth_limit_names_the_first_element_over_it(tmp_path):
    path = tmp_path / "deep.xml"
    path.write_bytes(message(HEADER + "<Persons><Person><Requests><Assessment><NamedPlan>"
                                      "<PlanDetail><URN>1</URN></PlanDetail></NamedPlan>"
                                      "</Assessment></Requests></Person></Persons>"))
    with pytest.raises(Sen2FileError) as caught:
        read_xml(path, Limits(max_depth=7))
    assert caught.value.rule == "too_deep" and "element URN " in caught.value.reason


def test_records_are_read_in_document_order_with_their_lines(tmp_path):
    path = tmp_path / "two.xml"
    path.write_bytes(message(HEADER + f"<Persons>\n{PERSON}\n{PERSON}</Persons>"))
    read = read_xml(path)
    assert [(r.module, r.position, r.parent, r.person, r.row)
            for module in ("person", "requests", "active_plans", "sen_need")
            for r in read.records[module]] == [
        ("person", 1, 1, 1, 2), ("person", 2, 1, 2, 3),
        ("requests", 1, 1, 1, 2), ("requests", 2, 2, 2, 3),
        ("active_plans", 1, 1, 1, 2), ("active_plans", 2, 2, 2, 3),
        ("sen_need", 1, 1, 1, 2), ("sen_need", 2, 2, 2, 3)]
