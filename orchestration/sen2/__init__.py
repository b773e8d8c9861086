"""The DfE SEN2 person-level return as an input (issue 16, first step): its specification as
data (spec.py), readers for the XML return (xml_reader.py) and the COLLECT Blade CSV export
(blade.py) giving the same per-module records (records.py), the structural rules
(validate.py) and writers for both formats (writer.py). Not wired into Dagster yet: see
docs/SEN2.md for the design of the next step.
"""
