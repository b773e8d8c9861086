"""council/*: the configured council (orchestration/council.py) as warehouse tables. Loading
this module validates the configuration, so a broken council file stops the code location
(the UI, `make run`) at start-up with an error naming the file, key and rule."""

import dagster as dg

from orchestration import council
from orchestration.council_tables import SCHEMA, TABLES, config_version, write_council_tables
from orchestration.resources import WarehouseResource
from orchestration.table_metadata import table_metadata

council.current()  # validates at Definitions load: CouncilConfigError names file, key, rule


@dg.multi_asset(
    name="council_configuration",
    specs=[dg.AssetSpec(dg.AssetKey([SCHEMA, t]), group_name=SCHEMA, kinds={"duckdb", "python"})
           for t in TABLES],
    description="The council configuration (councils/<LA code>-<name>.toml, SEND_COUNCIL) as "
    "tables dbt reads: LA code, name and region, districts and areas, funding envelope, KPI "
    "thresholds, the council's published shares.",
)
def council_configuration(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    configured = council.current()
    version = dg.DataVersion(config_version(configured))
    with warehouse.connect() as con:
        counts = write_council_tables(con, configured)
        tables_now = table_metadata(con, [(SCHEMA, t) for t in TABLES])
    context.log.info(f"council {configured.la_code} {configured.name} from {configured.path}: {counts}")
    for table in TABLES:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey([SCHEMA, table]),
            metadata={"council": f"{configured.la_code} {configured.name}",
                      "config_file": str(configured.path), **tables_now.get((SCHEMA, table), {})},
            data_version=version,
        )
