"""Great Expectations 1.x suites kept as JSON in expectations/, validated over pandas.

GX's SQL data sources are unreliable over DuckDB, so a table is read into pandas from a
read-only connection and validated with a pandas data source. Suites load strictly: GX drops
an expectation it cannot build with only a log line, so the loaded count is compared with the
file and any difference is an error.

Suite file format (GX's own suite JSON plus a ``meta.dagster`` block):

    {"name": "gold_srp_places",
     "meta": {"dagster": {"asset_key": ["gold", "srp_places"], "table": "gold.srp_places",
                          "severity": "error", "description": "...",
                          "query": "optional SELECT validated instead of the whole table"}},
     "expectations": [{"type": "expect_column_values_to_not_be_null",
                       "kwargs": {"column": "level"}}, ...]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from orchestration import contract, council

SEVERITIES = ("error", "warn")
MAX_EXAMPLES = 5
# Never echo values of identifier columns into check metadata or alerts.
PERSONAL_COLUMNS = frozenset(
    f.name for source in contract.SYNERGY_FILES for f in source.fields if f.personal
)


class SuiteError(ValueError):
    """A suite file that cannot be used as written."""


@dataclass(frozen=True)
class SuiteSpec:
    path: Path
    name: str
    asset_key: tuple[str, ...]
    table: str
    severity: str
    description: str
    expectations: tuple[dict, ...]
    query: str | None = None  # validated instead of `select * from table` when given


@dataclass
class FailedExpectation:
    expectation: str
    column: str | None
    unexpected_count: int | None
    unexpected_percent: float | None
    observed_value: Any
    examples: list


@dataclass
class SuiteOutcome:
    suite: str
    success: bool
    rows: int
    evaluated: int
    failed: list[FailedExpectation] = field(default_factory=list)

    def metadata(self) -> dict:
        return {
            "suite": self.suite,
            "rows_validated": self.rows,
            "expectations_evaluated": self.evaluated,
            "expectations_failed": len(self.failed),
            "failures": [
                {
                    "expectation": f.expectation,
                    "column": f.column,
                    "unexpected_count": f.unexpected_count,
                    "unexpected_percent": f.unexpected_percent,
                    "observed_value": _plain(f.observed_value),
                    "examples": f.examples,
                }
                for f in self.failed
            ],
        }


def load_suite_spec(path: Path) -> SuiteSpec:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SuiteError(f"{path}: cannot read suite JSON: {exc}") from exc
    meta = (raw.get("meta") or {}).get("dagster") or {}
    missing = [k for k in ("asset_key", "table", "severity") if k not in meta]
    if missing or not raw.get("name") or not raw.get("expectations"):
        raise SuiteError(
            f"{path}: needs name, expectations and meta.dagster {{asset_key, table, severity}}"
            f" (missing: {', '.join(missing) or 'name/expectations'})"
        )
    if meta["severity"] not in SEVERITIES:
        raise SuiteError(f"{path}: severity must be one of {SEVERITIES}, not {meta['severity']!r}")
    return SuiteSpec(
        path=Path(path),
        name=raw["name"],
        asset_key=tuple(meta["asset_key"]),
        table=meta["table"],
        severity=meta["severity"],
        description=meta.get("description", ""),
        expectations=tuple(council.fill_values(raw["expectations"])),  # $council.<values>
        query=meta.get("query"),
    )


def load_suite_specs(folder: Path) -> list[SuiteSpec]:
    return [load_suite_spec(p) for p in sorted(Path(folder).glob("*.json"))]


@lru_cache(maxsize=1)
def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset("table")
        .add_batch_definition_whole_dataframe("whole_table")
    )
    return context, batch_definition


def build_suite(spec: SuiteSpec):
    """The GX suite for a spec; raises SuiteError if GX drops any expectation."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=spec.name, expectations=[dict(e) for e in spec.expectations])
    if len(suite.expectations) != len(spec.expectations):
        loaded = {e.expectation_type for e in suite.expectations}
        dropped = [e.get("type") for e in spec.expectations if e.get("type") not in loaded]
        raise SuiteError(
            f"{spec.path}: GX could not load {len(spec.expectations) - len(suite.expectations)}"
            f" expectation(s) (unknown type or bad arguments): {dropped or 'see GX log'}"
        )
    return suite


def validate_dataframe(spec: SuiteSpec, frame) -> SuiteOutcome:
    _, batch_definition = _context()
    suite = build_suite(spec)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format="SUMMARY")
    failed = [_failed(r) for r in result.results if not r.success]
    return SuiteOutcome(
        suite=spec.name,
        success=bool(result.success),
        rows=len(frame),
        evaluated=len(result.results),
        failed=failed,
    )


def validate_table(spec: SuiteSpec, warehouse_path: Path) -> SuiteOutcome:
    import duckdb

    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        frame = con.execute(spec.query or f"select * from {spec.table}").df()
    return validate_dataframe(spec, frame)


def _failed(result) -> FailedExpectation:
    config = result.expectation_config
    column = config.kwargs.get("column")
    details = result.result or {}
    examples = [] if column in PERSONAL_COLUMNS else [
        _plain(v) for v in (details.get("partial_unexpected_list") or [])[:MAX_EXAMPLES]
    ]
    return FailedExpectation(
        expectation=config.type,
        column=column,
        unexpected_count=details.get("unexpected_count"),
        unexpected_percent=_round(details.get("unexpected_percent")),
        observed_value=details.get("observed_value"),
        examples=examples,
    )


def _round(value):
    return None if value is None else round(float(value), 3)


def _plain(value):
    """JSON-safe rendering of a value GX reports (numpy scalars, dates...)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)
