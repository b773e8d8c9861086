"""The annual strategic report, in two editions under the report folder:

* ``report/public_report`` -> ``<report>/public/``: built only from the audited release, so it
  runs after ``disclosure/release`` (whose blocking audit check keeps the last good public
  report in place when a release fails it);
* ``report/internal_report`` -> ``<report>/internal/``: from the gold tables, unsuppressed,
  OFFICIAL-SENSITIVE, for council staff."""

from pathlib import Path

import dagster as dg

from orchestration.dbt_manifest import table_model_names
from orchestration.dbt_project import DBT_PROJECT
from orchestration.report import (
    INTERNAL,
    PUBLIC,
    REPORT_GOLD_TABLES,
    build_report,
    remove_flat_report,
    report_folder,
)
from orchestration.resources import FoldersResource, WarehouseResource

RELEASE_ASSET = dg.AssetKey(["disclosure", "release"])
PUBLIC_REPORT = dg.AssetKey(["report", "public_report"])
INTERNAL_REPORT = dg.AssetKey(["report", "internal_report"])


def report_deps(manifest_path: Path) -> list[dg.AssetKey]:
    """The gold tables the report reads that dbt builds today (sections for the others say
    "not yet available" until their models land)."""
    built = set(table_model_names(manifest_path, "gold"))
    return [dg.AssetKey(["gold", t]) for t in REPORT_GOLD_TABLES if t in built]


def write_edition(
    context: dg.AssetExecutionContext, warehouse: str, report_dir: str, audience: str
) -> dg.MaterializeResult:
    """Builds one edition into its folder (and removes pages an older version wrote straight
    into the report folder)."""
    removed = remove_flat_report(Path(report_dir))
    if removed:
        context.log.info(f"removed {len(removed)} pages of the old single report in {report_dir}")
    index = build_report(Path(warehouse), report_folder(Path(report_dir), audience),
                         audience=audience)
    pages = sorted(p.name for p in index.parent.glob("*.html"))
    context.log.info(f"{audience} report written to {index.parent} ({len(pages)} pages)")
    return dg.MaterializeResult(
        metadata={"index": dg.MetadataValue.path(str(index)), "pages": len(pages),
                  "audience": audience}
    )


@dg.asset(
    key=PUBLIC_REPORT,
    group_name="report",
    deps=[RELEASE_ASSET],
    kinds={"html", "python"},
    description="The public annual strategic report (parents and carers, schools, the "
    "committee's public papers): offline HTML built only from the audited release "
    "(external.*): a figure is hidden (c) exactly where the release hides it, and a figure the "
    "report computes is hidden wherever one of its inputs is.",
)
def public_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, folders: FoldersResource
) -> dg.MaterializeResult:
    return write_edition(context, warehouse.path, folders.report, PUBLIC)


@dg.asset(
    key=INTERNAL_REPORT,
    group_name="report",
    deps=report_deps(DBT_PROJECT.manifest_path),
    kinds={"html", "python"},
    description="The internal annual strategic report for council staff: the same pages from "
    "the gold tables, unsuppressed, marked OFFICIAL-SENSITIVE on every page; never shared "
    "outside the council.",
)
def internal_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, folders: FoldersResource
) -> dg.MaterializeResult:
    return write_edition(context, warehouse.path, folders.report, INTERNAL)
