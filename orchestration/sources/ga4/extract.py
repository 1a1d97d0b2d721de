"""Web sessions (GA4 Data API `runReport`): sessions, users and add-to-carts per source/medium.

Particular to GA4: a report request with dimensions and metrics, `offset`/`rowCount` paging,
rows as positional value lists named by the response's headers, and a `metadata` object saying
whether rows were withheld (thresholding), merged into "(other)" or sampled: landed as one
`report_metadata` row per day, so the marts can say when a day's sessions are not complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from orchestration.lib.extract import ExtractRun, extract_asset
from orchestration.lib.http import bearer_auth
from orchestration.lib.landing import InvalidRecord, parse_count, to_json
from orchestration.lib.pagination import offset_pages
from orchestration.sources.ga4.landing import DATASETS, SOURCE

PAGE_SIZE = 10_000
DIMENSIONS = ("date", "sessionSource", "sessionMedium", "sessionCampaignName")
METRICS = ("sessions", "totalUsers", "addToCarts")


def report_body(day: date) -> dict[str, Any]:
    return {
        "dateRanges": [{"startDate": day.isoformat(), "endDate": day.isoformat()}],
        "dimensions": [{"name": name} for name in DIMENSIONS],
        "metrics": [{"name": name} for name in METRICS],
        "keepEmptyRows": False,
    }


def named_values(page: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """A positional GA4 row -> {header name: value}, using the page's own headers."""
    dimensions = [h["name"] for h in page.get("dimensionHeaders") or []]
    metrics = [h["name"] for h in page.get("metricHeaders") or []]
    values = [v.get("value") for v in row.get("dimensionValues") or []]
    values += [v.get("value") for v in row.get("metricValues") or []]
    return dict(zip(dimensions + metrics, values, strict=False))


def session_row(values: Mapping[str, Any]) -> dict[str, Any]:
    raw_date = values.get("date")
    try:
        day = datetime.strptime(str(raw_date), "%Y%m%d").date()
    except ValueError:
        raise InvalidRecord("date", f"not a YYYYMMDD date: {raw_date!r}") from None
    total_users, add_to_carts = values.get("totalUsers"), values.get("addToCarts")
    return {
        "date": day,
        "session_source": values.get("sessionSource"),
        "session_medium": values.get("sessionMedium"),
        "session_campaign_name": values.get("sessionCampaignName"),
        "sessions": parse_count(values.get("sessions"), "sessions"),
        "total_users": None if total_users is None else parse_count(total_users, "totalUsers"),
        "add_to_carts": None if add_to_carts is None else parse_count(add_to_carts, "addToCarts"),
        "payload": to_json(values),
    }


def metadata_row(day: date, metadatas: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The day's report metadata: a flag is set when any page of the report says so."""
    first = metadatas[0] if metadatas else {}
    return {
        "date": day,
        "subject_to_thresholding": any(m.get("subjectToThresholding") for m in metadatas),
        "data_loss_from_other_row": any(m.get("dataLossFromOtherRow") for m in metadatas),
        "is_sampled": any(m.get("samplingMetadatas") for m in metadatas),
        "payload": to_json(first),
    }


def extract_sessions(run: ExtractRun, days: list[date]) -> dict[str, Any]:
    """One report per day (the API aggregates by date anyway), paged by offset."""
    credentials = run.settings.credentials
    client = run.client(bearer_auth(credentials["GA4_ACCESS_TOKEN"]))
    path = f"/v1beta/properties/{credentials['GA4_PROPERTY_ID']}:runReport"
    flagged: list[str] = []
    for day in days:
        with run.day(day, DATASETS) as landing:
            metadatas: list[Mapping[str, Any]] = []
            for page in offset_pages(client, path, report_body(day), PAGE_SIZE):
                metadatas.append(page.get("metadata") or {})
                for row in page.get("rows") or []:
                    values = named_values(page, row)
                    try:
                        landing.write("sessions", session_row(values))
                    except InvalidRecord as invalid:
                        key = "/".join(str(values.get(d)) for d in DIMENSIONS)
                        landing.reject("sessions", key, invalid.field, invalid.reason, values)
            meta = metadata_row(day, metadatas)
            landing.write("report_metadata", meta)
            flags = ("subject_to_thresholding", "data_loss_from_other_row", "is_sampled")
            if any(meta[flag] for flag in flags):
                flagged.append(day.isoformat())
    return {"days_thresholded_merged_or_sampled": flagged}


ga4_sessions = extract_asset(
    "ga4_sessions",
    source=SOURCE,
    group="acquisition",
    description=(
        "Google Analytics 4 daily sessions, users and add-to-carts per session source, medium "
        "and campaign (Data API runReport), and per day whether GA4 withheld (thresholding), "
        "merged or sampled rows."
    ),
)(extract_sessions)
