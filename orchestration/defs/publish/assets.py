"""Publish gold read-only for BI tools, after every gold model (and its blocking checks)."""

from pathlib import Path

import dagster as dg

from orchestration.dbt_manifest import table_model_names
from orchestration.dbt_project import DBT_PROJECT
from orchestration.defs.disclosure.assets import RELEASE
from orchestration.resources import FoldersResource, WarehouseResource

# The publisher (pyarrow) is imported by the asset, not on every code load.


@dg.asset(
    key=dg.AssetKey(["publish", "published_gold"]),
    group_name="publish",
    deps=[dg.AssetKey(["gold", name]) for name in table_model_names(DBT_PROJECT.manifest_path, "gold")]
    + [RELEASE],
    kinds={"duckdb", "parquet"},
    description="Gold (and disclosure-controlled `external` copies) as a new read-only DuckDB "
    "file and Parquet files under the published folder; readers switch to it atomically "
    "(docs/BI.md), every table and column described from dbt's docs (COMMENT ON, Parquet field "
    "metadata, data_dictionary.csv/.md beside the file). The external tables are the audited "
    "release: a run whose gold checks or release audit fail never gets here, so the last good "
    "version stays published.",
)
def published_gold(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, folders: FoldersResource
) -> dg.MaterializeResult:
    from orchestration.publish import publish
    from orchestration.publish.definitions import DICTIONARY_MD

    result = publish(Path(warehouse.path), Path(folders.published), run_id=context.run_id,
                     dbt_manifest=DBT_PROJECT.manifest_path)
    context.log.info(
        f"published version {result.version} in {result.seconds:.1f} s; "
        f"pruned {result.pruned or 'none'}; kept (in use) {result.kept_in_use or 'none'}"
    )
    return dg.MaterializeResult(
        metadata={
            "version": result.version,
            "path": dg.MetadataValue.path(str(result.database)),
            "data_dictionary": dg.MetadataValue.path(str(result.version_dir / DICTIONARY_MD)),
            "tables": len(result.row_counts),
            "row_counts": dg.MetadataValue.json(result.row_counts),
            "seconds": result.seconds,
        }
    )
