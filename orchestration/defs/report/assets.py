"""The annual strategic report: rebuilt after the gold tables on every refresh."""

from pathlib import Path

import dagster as dg

from orchestration.dbt_manifest import table_model_names
from orchestration.dbt_project import DBT_PROJECT
from orchestration.report import REPORT_GOLD_TABLES, build_report
from orchestration.resources import FoldersResource, WarehouseResource


def report_deps(manifest_path: Path) -> list[dg.AssetKey]:
    """The gold tables the report reads that dbt builds today (sections for the others say
    "not yet available" until their models land)."""
    built = set(table_model_names(manifest_path, "gold"))
    return [dg.AssetKey(["gold", t]) for t in REPORT_GOLD_TABLES if t in built]


@dg.asset(
    key=dg.AssetKey(["report", "annual_strategic_report"]),
    group_name="report",
    deps=report_deps(DBT_PROJECT.manifest_path),
    kinds={"html", "python"},
    description="The annual strategic report: offline HTML (county overview, area and district "
    "packs, a page per SRP school, methods and data-quality appendices) built from the gold "
    "tables, with disclosure control (counts of 1-4 shown as c).",
)
def annual_strategic_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, folders: FoldersResource
) -> dg.MaterializeResult:
    index = build_report(Path(warehouse.path), Path(folders.report))
    pages = sorted(p.name for p in index.parent.glob("*.html"))
    context.log.info(f"report written to {index.parent} ({len(pages)} pages)")
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(index)),
            "pages": len(pages),
        }
    )
