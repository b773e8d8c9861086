"""Bronze: one multi-asset per source, each a thin wrapper over orchestration.ingest."""


from typing import Callable

import dagster as dg

from orchestration import contract
from orchestration.ingest.sen2_bronze_schema import POSTCODES_TABLE, SEN2_TABLES
from orchestration.build_state import bronze_data_version  # bronze's data version: same files, same version
from orchestration.resources import FoldersResource, WarehouseResource
from orchestration.table_metadata import table_metadata

BRONZE = "bronze"

SYNERGY_TABLES = [source.name for source in contract.SYNERGY_FILES] + ["synergy_extracts"]
RETURN_TABLES = [
    "return_submissions", "return_places", "return_pupils", "return_finance", "return_outcomes",
]
AUDIT_TABLES = ["file_registry", "load_errors"]
FILES_NAMED = 20  # unusable files named in the check (and its alert); the registry has them all


def bronze_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([BRONZE, table])


def _run_ingestion(
    context: dg.AssetExecutionContext,
    ingest: Callable,
    warehouse: WarehouseResource,
    folders: FoldersResource,
    tables: list[str],
):
    from orchestration.ingest import IngestFailed, ensure_bronze_schema
    from orchestration.ingest.runner import record_unread
    from orchestration.landing_state import folder_fingerprints, seen_metadata
    from orchestration.pseudonymise import PseudonymKeyError, resolve_key
    from orchestration.run_lock import RefreshAlreadyRunning, hold_refresh_lock

    try:  # one refresh at a time (DuckDB has one writer): fail at once, never inside DuckDB
        hold_refresh_lock(warehouse.path, context.run_id)
    except RefreshAlreadyRunning as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    try:  # before any identifier reaches bronze, not at the dbt step after it
        resolve_key(folders.landing_dir())
    except PseudonymKeyError as exc:
        raise dg.Failure(description=f"nothing was ingested: {exc}", allow_retries=False) from None
    landing_before = folder_fingerprints(folders.landing_dir())  # for the landing sensor
    with warehouse.connect() as con:
        ensure_bronze_schema(con)
        try:
            summary, failed = ingest(con, folders.landing_dir(), folders.archive_dir()), None
        except IngestFailed as exc:  # one file's bug must not stop the night for the others
            summary, failed = exc.summary, exc
            context.log.error(f"{exc} ({exc.errors})")
        unread = record_unread(con, summary.source, folders.landing_dir(), failed)
        tables_now = table_metadata(con, [(BRONZE, t) for t in tables])  # rows, typed columns
        data_version = dg.DataVersion(bronze_data_version(con, summary.source))
    metadata = {**summary.as_metadata(), "files_not_read": unread}
    metadata.update(seen_metadata(summary.source, landing_before))
    if unread:
        context.log.warning(f"{summary.source}: {unread} landed file(s) could not be read"
                            " (links, special files or load failures); see bronze.file_registry")
    context.log.info(f"{summary.source}: {metadata}")
    for table in tables:
        yield dg.MaterializeResult(asset_key=bronze_key(table),
                                   metadata={**metadata, **tables_now.get((BRONZE, table), {})},
                                   data_version=data_version)


def _source_asset(name: str, tables: list[str], ingest_name: str, description: str):
    @dg.multi_asset(
        name=f"ingest_{name}",
        specs=[
            dg.AssetSpec(bronze_key(t), group_name=BRONZE, kinds={"duckdb", "python"})
            for t in tables
        ],
        description=description,
    )
    def _asset(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, folders: FoldersResource
    ):
        import orchestration.ingest as ingest_module

        yield from _run_ingestion(
            context, getattr(ingest_module, ingest_name), warehouse, folders, tables
        )

    return _asset


ingest_synergy = _source_asset(
    "synergy", SYNERGY_TABLES, "ingest_synergy",
    "Complete Synergy extracts (with _SUCCESS) into change-captured bronze tables.",
)
ingest_gias = _source_asset(
    "gias", ["gias_establishment"], "ingest_gias", "GIAS register files (Windows-1252)."
)
ingest_srp_register = _source_asset(
    "srp_register", ["srp_register"], "ingest_srp_register", "SRP register, one file per year."
)
ingest_school_returns = _source_asset(
    "school_returns", RETURN_TABLES, "ingest_school_returns", "SRP annual return workbooks."
)
ingest_dfe = _source_asset(
    "dfe", ["dfe_sen2_mi"], "ingest_dfe", "DfE published EHC plan statistics (sen2_mi.csv)."
)
ingest_sen2 = _source_asset(  # issue 16: bronze/sen2_<module>, one table per SEN2 module
    "sen2", list(SEN2_TABLES), "ingest_sen2",
    "SEN2 person-level returns (XML or Blade CSV set, with _SUCCESS), one table per module.",
)
ingest_postcodes = _source_asset(
    "postcodes", [POSTCODES_TABLE], "ingest_postcodes", "ONS postcode lookup (NSPL CSV).",
)

INGEST_ASSETS = [ingest_synergy, ingest_gias, ingest_srp_register, ingest_school_returns, ingest_dfe,
                 ingest_sen2, ingest_postcodes]


@dg.multi_asset(
    name="load_audit",
    specs=[
        dg.AssetSpec(
            bronze_key(t),
            group_name=BRONZE,
            kinds={"duckdb"},
            deps=[spec.key for a in INGEST_ASSETS for spec in a.specs],
        )
        for t in AUDIT_TABLES
    ],
    description="The file registry and load errors after every source has loaded: "
    "what arrived, what loaded, what was rejected and why.",
)
def load_audit(warehouse: WarehouseResource):
    with warehouse.connect(read_only=True) as con:
        by_status = dict(
            con.execute(
                "select status, count(*) from bronze.file_registry group by status order by 1"
            ).fetchall()
        )
        by_rule = dict(
            con.execute(
                "select rule, count(*) from bronze.load_errors group by rule order by 1"
            ).fetchall()
        )
        tables_now = table_metadata(con, [(BRONZE, t) for t in AUDIT_TABLES])  # rows, typed columns
        data_version = dg.DataVersion(bronze_data_version(con))  # same files, same version
    yield dg.MaterializeResult(
        asset_key=bronze_key("file_registry"),
        metadata={**{f"files_{k}": v for k, v in by_status.items()},
                  **tables_now.get((BRONZE, "file_registry"), {})},
        data_version=data_version,
    )
    yield dg.MaterializeResult(
        asset_key=bronze_key("load_errors"),
        metadata={**({f"errors_{k}": v for k, v in by_rule.items()} or {"errors": 0}),
                  **tables_now.get((BRONZE, "load_errors"), {})},
        data_version=data_version,
    )


@dg.asset_check(
    asset=bronze_key("file_registry"),
    blocking=True,
    description="Every landed file is accounted for: rows_landed = rows_loaded + rows_rejected,"
    " each counted on its own (files processed in this run parsed again from the archive,"
    " bronze rows by lineage, rows with errors in load_errors) and equal to the registry's.",
)
def registry_rows_balance(context: dg.AssetCheckExecutionContext,
                          warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from orchestration.quality.registry_balance import unbalanced_files

    with warehouse.connect(read_only=True) as con:
        files, bad = unbalanced_files(con, since=_run_started_at(context))
    return dg.AssetCheckResult(
        passed=not bad,
        description="; ".join(b.describe() for b in bad[:FILES_NAMED]) or None,
        metadata={
            "files_checked": files,
            "files_out_of_balance": len(bad),
            "examples": dg.MetadataValue.json([b.describe() for b in bad[:5]]),
        },
    )


def _run_started_at(context: dg.AssetCheckExecutionContext):
    """The run's start (naive UTC), or None outside a run (then every file is parsed again)."""
    import datetime as dt

    record = context.instance.get_run_record_by_id(context.op_execution_context.run_id)
    if record is None or record.start_time is None:
        return None
    started = dt.datetime.fromtimestamp(record.start_time, dt.timezone.utc)
    return started.replace(tzinfo=None)


@dg.asset_check(
    asset=bronze_key("file_registry"),
    blocking=False,
    description="Every file now in the landing folder could be used: fails (a warning, the "
    "night goes on) while any is quarantined, rejected, a link or special file, or failed to "
    "load, and lists them, so the data team is alerted with the file names.",
)
def landed_files_usable(warehouse: WarehouseResource, folders: FoldersResource):
    from orchestration.alerts.messages import UNUSABLE_FILES_KEY
    from orchestration.ingest.runner import unusable_files

    with warehouse.connect(read_only=True) as con:
        unusable = unusable_files(con, folders.landing_dir())
    metadata = {"files_unusable": len(unusable),
                "why": dg.MetadataValue.json([why for _, why in unusable[:FILES_NAMED]])}
    if unusable:  # the alert names the files (never their content)
        metadata[UNUSABLE_FILES_KEY] = "; ".join(name for name, _ in unusable[:FILES_NAMED])
    return dg.AssetCheckResult(passed=not unusable, severity=dg.AssetCheckSeverity.WARN,
                               metadata=metadata)
