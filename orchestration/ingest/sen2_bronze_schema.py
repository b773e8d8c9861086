"""The bronze tables of the SEN2 return and the postcode lookup: a contract with dbt staging.

SEN2 (``landing/sen2/<YYYY-MM-DD>/``): one table per module, ``sen2_<module key>``
(spec.MODULES). Its data columns are every item the module has in any collection year
(spec.ITEMS, the item's name: its XML element in lower case), in specification order, as
VARCHAR holding the value as landed, so a 2024 and a 2025 return share a table and an item a
year lacks is NULL. The record columns follow: where the record sits in the return
(``_position`` within its module, its parent's and its person's position, all 1-based in file
order), where it was read (``_row_number``: the Blade CSV row, header = 1, or the XML line of
its element), the Blade export's own identifier columns (``_blade_ids``: JSON object, NULL for
the XML return), the header's collection year and the folder's extract date; then the lineage
columns every bronze table carries and ``_superseded_by_sha256`` (a later version of the same
landed file supersedes the earlier one, as for GIAS).

Postcodes (``landing/postcodes/NSPL*.csv``): ``bronze.postcodes`` keeps the NSPL columns the
platform reads (``POSTCODE_COLUMNS``), ``postcode_key`` (upper case, no spaces: what postcodes
are matched on), the file date from its name and the GIAS lineage columns.
"""

from __future__ import annotations

from orchestration.sen2 import spec

LANDING_SEN2 = "sen2"  # landing/sen2/<YYYY-MM-DD>/, also the registry's source name
LANDING_POSTCODES = "postcodes"  # landing/postcodes/NSPL*.csv, likewise
SEN2_TABLE_PREFIX = "sen2_"

SEN2_RECORD_COLUMNS = (
    ("_position", "BIGINT"),  # the record's ordinal within its module, file order, from 1
    ("_parent_position", "BIGINT"),  # the parent record's _position (NULL for header, person)
    ("_person_position", "BIGINT"),  # the person record's _position (NULL for the header)
    ("_row_number", "BIGINT"),  # Blade CSV row (header = 1) or XML line of the element
    ("_blade_ids", "VARCHAR"),  # JSON object of the Blade identifier columns; NULL for XML
    ("_collection_year", "INTEGER"),  # the header's year (NULL when no year spec.py knows)
    ("_extract_date", "DATE"),  # the landing folder's date
)
# schema.LINEAGE_COLUMNS (_row_number is a record column above) and SUPERSEDED_COLUMN, spelt
# out because schema.py imports this module (tests/test_ingest_sen2.py checks they agree).
SEN2_LINEAGE_COLUMNS = (
    ("_source_file", "VARCHAR"),  # relative to landing_dir, forward slashes
    ("_sha256", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),  # UTC
    ("_superseded_by_sha256", "VARCHAR"),
)


def sen2_table(module: str) -> str:
    """The bronze table of a module (spec.MODULES key), e.g. ``sen2_named_plan``."""
    return SEN2_TABLE_PREFIX + spec.MODULE[module].key


def sen2_item_columns(module: str) -> tuple[str, ...]:
    """Every item the module has in any year, in specification order, each once."""
    return tuple(dict.fromkeys(item.name for item in spec.ITEMS if item.module == module))


def sen2_table_columns(module: str) -> tuple[tuple[str, str], ...]:
    items = tuple((name, "VARCHAR") for name in sen2_item_columns(module))
    return items + SEN2_RECORD_COLUMNS + SEN2_LINEAGE_COLUMNS


SEN2_TABLES = {sen2_table(m.key): sen2_table_columns(m.key) for m in spec.MODULES}

# --- postcode lookup ---------------------------------------------------------------------

POSTCODES_TABLE = "postcodes"
# NSPL columns the platform reads (matched case-insensitively in the file's header).
POSTCODE_COLUMNS = ("pcds", "doterm", "oseast1m", "osnrth1m", "laua")
POSTCODE_KEY = "postcode_key"  # upper(pcds) with every space removed
POSTCODES_TABLE_COLUMNS = (
    ("pcds", "VARCHAR"),
    (POSTCODE_KEY, "VARCHAR"),
    ("doterm", "VARCHAR"),  # YYYYMM when terminated, else NULL
    ("oseast1m", "VARCHAR"),  # British National Grid easting, metres; NULL when unknown
    ("osnrth1m", "VARCHAR"),  # northing
    ("laua", "VARCHAR"),  # ONS local authority district code (E07000106)
    ("_source_file", "VARCHAR"),
    ("_sha256", "VARCHAR"),
    ("_row_number", "INTEGER"),  # header = 1, first data row = 2
    ("_loaded_at", "TIMESTAMP"),
    ("_file_date", "DATE"),  # 1st of the month the file name gives
    ("_superseded_by_sha256", "VARCHAR"),
)

# Created by schema.ensure_bronze_schema with every other bronze table.
BRONZE_TABLES = {**SEN2_TABLES, POSTCODES_TABLE: POSTCODES_TABLE_COLUMNS}


