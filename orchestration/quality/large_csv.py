"""Data rows of a large CSV file (the postcode lookup: ~1 GB), counted for the registry balance
as ``registry_balance.csv_data_rows`` counts them (records that are not blank, less the
header), but streamed in blocks by pyarrow's CSV reader instead of read whole into memory.
The loader reads the file with DuckDB, so this count shares no code with it. UTF-8 only (what
the loader accepts)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

_BLOCK = 16 << 20


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(io.StringIO(handle.readline())):
            return row
    return []


def streamed_csv_data_rows(path: Path) -> int | None:
    """Data rows of the UTF-8 CSV at ``path``; None when it cannot be read."""
    try:
        names = [f"f{i}" for i in range(len(_header(path)))]
        if not names:
            return 0
        reader = pcsv.open_csv(
            path, read_options=pcsv.ReadOptions(column_names=names, skip_rows=1,
                                                block_size=_BLOCK),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
        rows = 0
        for batch in reader:
            if batch.num_rows:
                joined = pc.binary_join_element_wise(*batch.columns, "")
                rows += pc.sum(pc.not_equal(pc.utf8_trim_whitespace(joined), "")).as_py() or 0
        return rows
    except (OSError, UnicodeDecodeError, pa.ArrowInvalid):
        return None
