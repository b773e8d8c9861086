"""Records landed in a SEN2 XML return, counted for the registry balance by a parse that shares
no code with the loader's reader (orchestration/sen2/xml_reader.py streams with lxml; this is
the standard library's expat, fed in blocks).

A record is a module's element in its place: the ``Header`` under the root, a ``Person`` in
``Persons``, and each module element directly inside its parent module's element (spec.MODULES:
``Requests`` in ``Person``, ``SENneed`` in ``ActivePlans`` ...). Only files the loader read are
counted (a loaded return has no DTD); a DOCTYPE stops the count all the same, so no entity is
ever expanded here.
"""

from __future__ import annotations

from pathlib import Path
from xml.parsers import expat

from orchestration.sen2 import spec

_BLOCK = 1 << 20
# element -> the element it must sit directly in to be a record
_PLACE = {spec.MODULE["header"].xml: spec.ROOT, spec.MODULE["person"].xml: spec.PERSONS,
          **{m.xml: spec.MODULE[m.parent].xml for m in spec.MODULES
             if m.parent not in (None, "header")}}


class _Doctype(Exception):
    pass


def xml_records(path: Path) -> int | None:
    """Records in the XML return at ``path``; None when it cannot be parsed."""
    stack: list[str] = []
    count = 0

    def start(name, _attributes):
        nonlocal count
        if stack and _PLACE.get(name) == stack[-1]:
            count += 1
        stack.append(name)

    def end(_name):
        stack.pop()

    def doctype(*_args):
        raise _Doctype

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.StartDoctypeDeclHandler = doctype
    try:
        with open(path, "rb") as handle:
            while block := handle.read(_BLOCK):
                parser.Parse(block, False)
        parser.Parse(b"", True)
    except (OSError, expat.ExpatError, _Doctype):
        return None
    return count
