"""Write SEN2 records as the XML return or as a Blade CSV set (what the readers read back).

Both keep every value's text as it is (blank items are left out of the XML and empty in the
CSV), so write -> read gives the same ``Record.content`` in either format. Items are written in
the specification's order for the return's year, then any other item a record holds. The XML
is written as a stream (lxml's incremental writer), a Person's subtree at a time. Blade
identifiers are the record's own (``Record.ids``) when it came from a Blade set, else made from
positions.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

from lxml import etree

from orchestration.sen2 import spec
from orchestration.sen2.records import Record, Sen2Return


def _item_order(result: Sen2Return, module: str) -> list[str]:
    """Item names for a module: the year's items in order, then others found in records."""
    year = result.year or spec.YEARS[-1]
    names = [i.name for i in spec.items(module, year)]
    for record in result.records[module]:
        names.extend(name for name in record.values if name not in names)
    return names


def _element_name(module: str, name: str) -> str:
    known = spec.known_anywhere(module, name)
    return known.xml if known else name


def _children(result: Sen2Return) -> dict[tuple[str, int], list[Record]]:
    by_parent: dict[tuple[str, int], list[Record]] = defaultdict(list)
    for module in spec.MODULE:
        for record in result.records[module]:
            if record.parent is not None:
                by_parent[(module, record.parent)].append(record)
    return by_parent


def write_xml(result: Sen2Return, path: str | Path) -> Path:
    path = Path(path)
    orders = {m.key: _item_order(result, m.key) for m in spec.MODULES}
    by_parent = _children(result)
    with etree.xmlfile(str(path), encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(spec.ROOT):
            xf.write("\n")
            for header in result.records["header"]:
                xf.write(_header_element(header, orders["header"]), pretty_print=True)
            with xf.element(spec.PERSONS):
                xf.write("\n")
                for person in result.records["person"]:
                    xf.write(_record_element(person, orders, by_parent), pretty_print=True)
            xf.write("\n")
    return path


def _leaf(parent, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = text


def _header_element(header: Record, order: list[str]):
    element = etree.Element(spec.MODULE["header"].xml)
    groups: dict[str, etree._Element] = {}
    for name in order:
        if (text := header.values.get(name)) is None:
            continue
        known = spec.known_anywhere("header", name)
        if known and known.group:
            if known.group not in groups:
                groups[known.group] = etree.SubElement(element, known.group)
            _leaf(groups[known.group], known.xml, text)
        else:
            _leaf(element, known.xml if known else name, text)
    return element


def _record_element(record: Record, orders: dict[str, list[str]],
                    by_parent: dict[tuple[str, int], list[Record]]):
    element = etree.Element(spec.MODULE[record.module].xml)
    for name in orders[record.module]:
        if (text := record.values.get(name)) is not None:
            _leaf(element, _element_name(record.module, name), text)
    for child_module in spec.CHILDREN[record.module]:
        for child in by_parent.get((child_module, record.position), []):
            element.append(_record_element(child, orders, by_parent))
    return element


def write_blade(result: Sen2Return, folder: str | Path, export_date: dt.date) -> dict[str, Path]:
    """One CSV per module, named as COLLECT names them; returns the paths by module."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    own_ids = {m.key: {r.position: _own_id(r) for r in result.records[m.key]}
               for m in spec.MODULES}
    written = {}
    for module in spec.MODULES:
        keys = list(spec.blade_key_columns(module.key))
        items = _item_order(result, module.key)
        path = folder / spec.blade_file_name(module.key, export_date)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(keys + items)
            for record in result.records[module.key]:
                ids = _ids(record, keys, own_ids)
                out.writerow([ids[k] or "" for k in keys]
                             + [record.values.get(name) or "" for name in items])
        written[module.key] = path
    return written


def _own_id(record: Record) -> str:
    return record.ids.get(spec.MODULE[record.module].id_column) or str(record.position)


def _ids(record: Record, keys: list[str], own_ids: dict[str, dict[int, str]]) -> dict:
    module = spec.MODULE[record.module]
    ids = {key: record.ids.get(key.lower()) for key in keys}
    ids[module.id_column] = own_ids[module.key][record.position]
    ids[spec.BLADE_NATIVE_ID] = ids[spec.BLADE_NATIVE_ID] or str(record.position)
    ids[f"{module.blade}orderseqcolumn"] = (ids[f"{module.blade}orderseqcolumn"]
                                            or str(record.position))
    if module.parent:
        ids[spec.MODULE[module.parent].id_column] = own_ids[module.parent].get(record.parent)
    return ids
