"""One vocabulary for schools' SRP returns, in every tile, table, note and the methods page:

* **received**: a return workbook for the school and year arrived, whatever its version and
  whether or not it could be read (gold.srp_returns_reconciliation.returns_received, which
  counts every workbook; those that could not be read are also counted as "not readable");
* **accepted**: a received return was read and passed validation; the latest accepted return
  is the school's current return, the one whose figures the report uses.

So each SRP school is "Accepted", "Received, not accepted" (workbooks arrived, none passed) or
"Not received"."""

from __future__ import annotations

from orchestration.report.data import Table

ACCEPTED = "Accepted"
RECEIVED_NOT_ACCEPTED = "Received, not accepted"
NOT_RECEIVED = "Not received"
RECONCILIATION_TABLE = "srp_returns_reconciliation"


def return_statuses(table: Table | None, year: str | None) -> dict[str, str] | None:
    """The return status of each school of the reconciliation table for the year, by URN;
    None when that table is not built."""
    needed = ("level", "level_key", "academic_year", "returns_received",
              "schools_with_current_return")
    if table is None or year is None or not table.has(*needed):
        return None
    return {
        str(r["level_key"]): return_status(
            bool(r["schools_with_current_return"]), bool(r["returns_received"])
        )
        for r in table.rows
        if r["level"] == "school" and r["academic_year"] == year
    }


def status_of(statuses: dict[str, str] | None, urn: str, has_return: bool) -> str:
    """A school's status; without the reconciliation table, "Accepted" when srp_places holds
    its accepted return's figures (``has_return``), else "Not received"."""
    if statuses is None:
        return return_status(has_return, False)
    return statuses.get(str(urn), NOT_RECEIVED)


def return_status(accepted: bool, received: bool) -> str:
    if accepted:
        return ACCEPTED
    return RECEIVED_NOT_ACCEPTED if received else NOT_RECEIVED
