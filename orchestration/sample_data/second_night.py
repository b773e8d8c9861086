"""What changes between the two nightly extracts: a day's worth of casework.

Natural events dated on the second night's as-of day appear too; these quotas make sure
even a tiny scale has new requests, new reviews and ended placements to capture.
"""

from __future__ import annotations

import datetime as dt

from orchestration.sample_data.children import PersonRecord
from orchestration.sample_data.scenario import EXTRACT_DATES, Scenario, as_of

CHANGE_DAY = as_of(EXTRACT_DATES[1])


class SecondNightChanges:
    def __init__(self, scenario: Scenario):
        self.reviews_left = scenario.count(10, minimum=3)
        self.endings_left = scenario.count(2, minimum=1)
        self.new_requests = scenario.count(5, minimum=2)
        self.log: list[dict] = []

    def apply(self, record: PersonRecord, next_review_id) -> None:
        for plan in record.rows.get("named_plan.csv", ()):
            if not _running_on(plan, CHANGE_DAY):
                continue
            if self.reviews_left and self._add_review(record, plan, next_review_id):
                self.reviews_left -= 1
            elif self.endings_left and self._end_placement(record, plan):
                self.endings_left -= 1

    def _add_review(self, record: PersonRecord, plan: dict, next_review_id) -> bool:
        reviews = [r for r in record.rows.get("annual_review.csv", ()) if r["plan_id"] == plan["plan_id"]]
        held = [r["review_meeting_date"] for r in reviews if r["review_meeting_date"] <= CHANGE_DAY]
        if held and (CHANGE_DAY - max(held)).days < 330:
            return False
        record.add("annual_review.csv", {
            "review_id": next_review_id(), "plan_id": plan["plan_id"],
            "review_meeting_date": CHANGE_DAY, "review_outcome": "M",
            "review_decision_date": CHANGE_DAY + dt.timedelta(days=14)})
        self.log.append({"change": "annual review held", "plan_id": plan["plan_id"]})
        return True

    def _end_placement(self, record: PersonRecord, plan: dict) -> bool:
        for row in record.rows.get("placement.csv", ()):
            if (row["plan_id"] == plan["plan_id"] and row["leaving_date"] is None and row["urn"]
                    and row["resourced_provision_indicator"] == "N" and row["entry_date"] < CHANGE_DAY):
                row["leaving_date"] = CHANGE_DAY
                self.log.append({"change": "placement ended", "placement_id": row["placement_id"]})
                return True
        return False


def _running_on(plan: dict, day: dt.date) -> bool:
    cease = plan["cease_date"]
    return plan["start_date"] <= day and (cease is None or cease > day)
