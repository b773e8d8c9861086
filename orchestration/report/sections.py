"""What each section of the report shows from its gold table (the columns the gold models
document in dbt_project/models/gold/*/_models.yml): its views, labels and intro. What a figure
is for disclosure is declared once, in those yml files, never here."""

from __future__ import annotations

from orchestration.report import charts
from orchestration.report.generic import GenericSpec, View

PLACE_LEVELS = ("county", "area", "district")

PATHWAY_DESTINATIONS = (
    ("to_secondary_srp_same_designation", "Secondary SRP, same designation"),
    ("to_secondary_srp_other_designation", "Secondary SRP, other designation"),
    ("to_mainstream", "Mainstream, no SRP"),
    ("to_special_state_funded", "Special school (state-funded)"),
    ("to_independent_non_maintained", "Independent or non-maintained"),
    ("to_other_arrangement", "Other arrangement"),
    ("to_no_plan_or_left", "No active plan or left"),
)
PATHWAYS = GenericSpec(
    "pathways",
    "Year 6 destinations and pathways",
    "phase_transfer_pathways",
    "Pupils in a primary SRP in Year 6 on census day, and where each was placed on the next "
    "census day, by HOME district and designation; against the secondary SRP places open to Year "
    "7 in the district (places commissioned / 5) - a positive gap means more Year 6 SRP pupils "
    "than Year 7 places.",
    levels=PLACE_LEVELS,
    required=("designation", "year6_pupils"),
    dims=("designation",),
    year_column="entry_year",
    children_where=(("designation", "All"),),
    views=(
        View(
            "Destinations of the Year 6 cohort",
            (("designation", "Designation"), ("year6_pupils", "Year 6 pupils"))
            + PATHWAY_DESTINATIONS
            + (("continuing_to_secondary_srp_share", "Continuing to a secondary SRP"),),
        ),
        View(
            "Pathway gap: Year 6 pupils against Year 7 places, which are the places commissioned "
            "in secondary SRPs / 5 year groups (Years 7 to 11), so they can be a fraction",
            (
                ("designation", "Designation"),
                ("year6_pupils", "Year 6 pupils"),
                ("secondary_srp_places", "Secondary SRP places"),
                ("year7_places", "Year 7 places (secondary SRP places / 5)"),
                ("year7_places_gap", "Gap"),
            ),
        ),
    ),
)

TRAVEL = GenericSpec(
    "travel",
    "Travel from home to school",
    "srp_travel",
    "Straight-line distance from home to the SRP school for the pupils on roll on census day, "
    "over the pupils whose distance is known; pupils living in another district than the "
    "school's. School rows are each SRP's pupils; district and area rows group the pupils by "
    "where they live, so a district without an SRP still shows how far its children travel.",
    required=("pupils_on_roll",),
    dims=("designation",),
    children_where=(("designation", "All"),),
    views=(
        View(
            "Distance from home to school",
            (
                ("designation", "Designation"),
                ("pupils_on_roll", "Pupils on roll"),
                ("mean_distance_km", "Mean km"),
                ("median_distance_km", "Median km"),
                ("p90_distance_km", "90th percentile km"),
                ("pupils_from_other_district", "From another district"),
                ("from_other_district_share", "Share from another district"),
                ("pupils_distance_unknown", "Distance unknown"),
            ),
        ),
    ),
)

FINANCE = GenericSpec(
    "finance",
    "Finance",
    "srp_finance",
    "Council funding = place funding x places commissioned + top-up x pupils on roll on census "
    "day; income and expenditure as the schools' latest accepted returns state them (a "
    "school's return is shared between its designations by places), and the county total "
    "against the SRP funding envelope. Top-up follows the pupil count, so it is hidden where "
    "that count is. "
    "Pupils on roll are the same pupils as in Places: pupils placed under a designation the "
    "register does not list for the school ('unknown' included) are on roll here in a row with "
    "no places and no rates, so nothing is paid for them through the SRP.",
    required=("council_funding_gbp",),
    dims=("designation",),
    children_where=(("designation", "All"),),
    views=(
        View(
            "Council funding",
            (
                ("designation", "Designation"),
                ("srp_count", "SRPs"),
                ("commissioned_places", "Places"),
                ("pupils_on_roll", "Pupils on roll"),
                ("council_place_funding_gbp", "Place funding"),
                ("council_top_up_gbp", "Top-up"),
                ("council_funding_gbp", "Total funding"),
                ("council_funding_per_commissioned_place_gbp", "Per place"),
            ),
        ),
        View(
            "Income and expenditure from the returns",
            (
                ("designation", "Designation"),
                ("srps_with_return", "SRPs with an accepted return"),
                ("return_income_total_gbp", "Income"),
                ("return_spend_total_gbp", "Expenditure"),
                ("return_surplus_gbp", "Surplus (deficit)"),
                ("return_cost_per_commissioned_place_gbp", "Cost per place"),
                ("return_cost_per_pupil_gbp", "Cost per pupil"),
            ),
        ),
        View(
            "Against the funding envelope",
            (
                ("council_funding_gbp", "Council funding"),
                ("envelope_gbp", "Envelope"),
                ("envelope_used_share", "Envelope used"),
                ("envelope_remaining_gbp", "Envelope remaining"),
            ),
            where=(("level", "county"), ("designation", "All")),
            transposed=True,
            children=False,
        ),
    ),
)

_KPI_FIGURES = (
    ("occupancy_pct", "Occupancy"),
    ("attendance_pct", "Attendance"),
    ("suspension_days_per_pupil", "Suspension days per pupil"),
    ("permanent_exclusion_pct", "Permanently excluded"),
    ("timetable_in_mainstream_pct", "Timetable in mainstream"),
    ("annual_reviews_on_time_pct", "Annual reviews on time"),
    ("parents_satisfied_pct", "Parents satisfied"),
    ("pupils_meeting_outcomes_pct", "Pupils meeting outcomes"),
)
KPIS = GenericSpec(
    "kpis",
    "Performance indicators (RAG)",
    "srp_kpis",
    "Red / amber / green against the thresholds the council keeps as reference data. Figures "
    "from the schools' latest accepted returns (attendance, suspensions, exclusions, time in "
    "mainstream, outreach, parent satisfaction, outcomes) and from Synergy (annual reviews on "
    "time). A "
    "figure built on fewer than 5 pupils is hidden with its status.",
    required=("overall_rag",),
    rag={c: f"{c}_rag" for c, _ in _KPI_FIGURES},
    overall_rag="overall_rag",
    views=(
        View(
            "Indicators",
            (("overall_rag", "Overall"),)
            + _KPI_FIGURES
            + (
                ("outreach_sessions", "Outreach sessions"),
                ("schools_with_return", "Schools with an accepted return"),
            ),
            transposed=True,
        ),
    ),
)

RECONCILIATION = GenericSpec(
    "reconciliation",
    "Return reconciliation with Synergy",
    "srp_returns_reconciliation",
    "Return workbooks received (every version, read or not), accepted (read and passed "
    "validation), late and superseded, with the errors and warnings found; the pupil list of each "
    "school's latest accepted return against Synergy's pupils in the SRP during the year.",
    required=("returns_expected",),
    views=(
        View(
            "Returns (workbooks, every version)",
            (
                ("returns_expected", "Schools expected"),
                ("returns_received", "Received"),
                ("returns_valid", "Accepted"),
                ("returns_late", "Late"),
                ("returns_superseded", "Superseded"),
                ("returns_unreadable", "Not readable"),
                ("returns_missing", "Schools with none received"),
                ("error_count", "Errors"),
                ("warning_count", "Warnings"),
            ),
        ),
        View(
            "Pupil lists against Synergy",
            (
                ("synergy_pupils", "Synergy"),
                ("return_pupils", "Return"),
                ("pupils_in_both", "In both"),
                ("pupils_only_in_synergy", "Only in Synergy"),
                ("pupils_only_in_return", "Only in return"),
                ("designation_mismatches", "Designation differs"),
                ("nc_year_mismatches", "Year group differs"),
            ),
        ),
    ),
)

FORECAST = GenericSpec(
    "forecast",
    "Secondary SRP demand forecast",
    "srp_demand_forecast",
    "Year 7 demand for secondary SRP places in the next five years: today's primary SRP pupils "
    "in Years 2 to 6 (by HOME district and designation) rolled forward, times the observed rate "
    "of continuing to a secondary SRP, against the Year 7 places commissioned today (places / 5). "
    "A positive shortfall means more demand than places.",
    levels=PLACE_LEVELS,
    required=("forecast_year", "projected_year7_demand"),
    dims=("designation", "forecast_year"),
    year_column="forecast_year",
    children_where=(("designation", "All"),),
    views=(
        View(
            "Year 7 demand against places (Year 7 places = places commissioned in secondary "
            "SRPs / 5 year groups, so they can be a fraction)",
            (
                ("designation", "Designation"),
                ("forecast_year", "Year 7 in"),
                ("primary_srp_pupils", "Primary SRP pupils now"),
                ("projected_year7_demand", "Projected Year 7 demand"),
                ("year7_places", "Year 7 places (secondary SRP places / 5)"),
                ("year7_shortfall", "Shortfall"),
            ),
        ),
    ),
)

EHCP_PROFILE = GenericSpec(
    "ehcp-profile",
    "EHCP caseload profile",
    "ehcp_caseload_profile",
    "Children and young people with an EHC plan on census day (by HOME area and district), new "
    "requests and plans issued in the year, by age band, sex, ethnicity, primary need and "
    "placement, with the national and {la} published shares beside them.",
    levels=PLACE_LEVELS,
    required=("dimension", "category", "holders"),
    dims=("dimension", "category"),
    split_by="dimension",
    views=(
        View(
            "EHC plan holders",
            (
                ("category", "Category"),
                ("holders", "Holders"),
                ("holders_share", "Share"),
                ("national_holders_pct", "England"),
                ("la_published_holders_pct", "{la} published"),
                ("requests_received", "Requests"),
                ("requests_share", "Share of requests"),
                ("plans_issued", "Plans issued"),
                ("plans_issued_share", "Share of plans"),
            ),
            children=False,
        ),
    ),
)

PLACEMENT_BY_AGE = GenericSpec(
    "placement-by-age",
    "Placement by age",
    "ehcp_placement_by_age",
    "EHC plan holders on census day by age and the type of their main placement (HOME area and "
    "district): read down the ages to see the move from mainstream to special and independent "
    "schools between ages 11 and 12 (Year 6 to Year 7).",
    levels=PLACE_LEVELS,
    required=("age", "placement_category", "holders"),
    dims=("age", "placement_category"),
    split_by="age",
    split_tables=False,
    views=(
        View(
            "EHC plan holders by age (rows) and placement (columns)",
            (),
            pivot=("age", "placement_category", "holders"),
            pivot_total="holders_at_age",
        ),
        View(
            "Share of each age group by placement",
            (),
            pivot=("age", "placement_category", "holders_share"),
            pivot_share_of="holders_at_age",
        ),
    ),
)


TIMELINESS_SYNERGY = "within_20_weeks_excl_exceptions_pct"


def _timeliness_chart(spec, own, cells, place):
    """Within 20 weeks (excluding exceptions): Synergy against DfE's figures for the council, its
    region and England.
    Synergy's figure of a year its history covers only in part (is_partial_year) is left off
    the trend, and so is a year with nothing else to draw."""
    from orchestration.report.disclosure import NOT_AVAILABLE_CELL

    series = {
        spec.say("{la} (Synergy)"): TIMELINESS_SYNERGY,
        spec.say("{la} (DfE)"): "dfe_la_within_20_weeks_excl_exceptions_pct",
        spec.say("{region} (DfE)"): "dfe_region_within_20_weeks_excl_exceptions_pct",
        "England (DfE)": "dfe_england_within_20_weeks_excl_exceptions_pct",
    }
    partial = sorted(str(r["calendar_year"]) for r in own if r.get("is_partial_year"))
    points = {
        str(r["calendar_year"]): {
            col: NOT_AVAILABLE_CELL if col == TIMELINESS_SYNERGY and r.get("is_partial_year")
            else c.get(col, NOT_AVAILABLE_CELL)
            for col in series.values()
        }
        for r, c in zip(own, cells)
    }
    years = sorted(
        y for y, p in points.items()
        if any(v.value is not None or v.is_suppressed for v in p.values())
    )
    if len(years) < 2:
        return None
    return charts.line_chart(
        years,
        {
            name: [points[y][col] for y in years]
            for name, col in series.items()
            if any(col in c for c in cells)
        },
        title="EHC plans issued within 20 weeks, excluding exceptions (%)"
        + (f"; part years left off Synergy's line: {', '.join(partial)}" if partial else ""),
        max_value=100,
    )


TIMELINESS = GenericSpec(
    "timeliness",
    "EHCP timeliness against national",
    "ehcp_timeliness",
    "Per calendar year: requests, refusals, EHC plans issued and the share within 20 weeks (with "
    "and without exception cases), annual reviews within 12 months; beside the DfE's published "
    "figures for {la}, the {region} and England (DfE divides refusals by all requests, we by "
    "requests decided).",
    levels=PLACE_LEVELS,
    required=("calendar_year", "plans_issued"),
    dims=("calendar_year",),
    year_column="calendar_year",
    children_latest=True,
    chart=_timeliness_chart,
    views=(
        View(
            "Timeliness",
            (
                ("calendar_year", "Year"),
                ("is_partial_year", "Part year"),
                ("requests_received", "Requests"),
                ("requests_refused_pct", "Refused"),
                ("plans_issued", "Plans issued"),
                ("within_20_weeks_pct", "Within 20 weeks"),
                ("within_20_weeks_excl_exceptions_pct", "Within 20 weeks excl. exceptions"),
                ("reviewed_within_12_months_pct", "Reviewed within 12 months"),
            ),
        ),
        View(
            "Published by the DfE: within 20 weeks excl. exceptions",
            (
                ("calendar_year", "Year"),
                ("is_partial_year", "Part year (Synergy)"),
                ("within_20_weeks_excl_exceptions_pct", "{la} (Synergy)"),
                ("dfe_la_within_20_weeks_excl_exceptions_pct", "{la} (DfE)"),
                ("dfe_region_within_20_weeks_excl_exceptions_pct", "{region}"),
                ("dfe_england_within_20_weeks_excl_exceptions_pct", "England"),
                ("dfe_la_requests_refused_pct", "{la} refused (DfE)"),
                ("dfe_england_requests_refused_pct", "England refused (DfE)"),
            ),
            children=False,
        ),
    ),
)

# In the order the SRP review asks for them; "returns" is built from srp_places + RECONCILIATION.
SECTION_ORDER = (
    PATHWAYS,
    TRAVEL,
    FINANCE,
    KPIS,
    "returns",
    FORECAST,
    EHCP_PROFILE,
    PLACEMENT_BY_AGE,
    TIMELINESS,
)
