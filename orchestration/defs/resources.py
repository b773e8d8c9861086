import dagster as dg

from orchestration.resources import build_resources


@dg.definitions
def resources() -> dg.Definitions:
    # In-process executor: DuckDB has one writer, so steps cannot run in parallel anyway, and
    # each multiprocess step costs ~6 s of start-up on the 2-core machines (docs/STACK.md).
    return dg.Definitions(resources=build_resources(), executor=dg.in_process_executor)
