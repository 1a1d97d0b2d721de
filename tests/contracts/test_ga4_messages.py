"""GA4 Data API: the official client library (`google-analytics-data`) is the message shape.

Our `runReport` body must parse strictly as `RunReportRequest`; a `RunReportResponse` built with
the library (its `metadata` saying thresholding and sampling) and serialised as the REST API
does must land its rows and its `report_metadata` row.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from google.analytics.data_v1beta import types as ga
from google.protobuf import json_format
from pytest_httpserver import HTTPServer
from werkzeug import Request

from orchestration.lib.extract import ExtractRun
from orchestration.sources.ga4 import extract as ga4
from tests.contracts.conftest import LIVE_CREDENTIALS, recording_handler
from tests.sources.conftest import DAY, read_landed

THRESHOLDED_DAY = DAY
EMPTY_DAY = DAY + timedelta(days=1)


def _response(request: Request) -> str:
    """Two rows for DAY, one per page (so paging follows the library's `rowCount`), thresholded
    and sampled; no rows for EMPTY_DAY."""
    body = request.get_json()
    day = body["dateRanges"][0]["startDate"]
    headers = {
        "dimension_headers": [ga.DimensionHeader(name=n) for n in ga4.DIMENSIONS],
        "metric_headers": [
            ga.MetricHeader(name=n, type_=ga.MetricType.TYPE_INTEGER) for n in ga4.METRICS
        ],
    }
    if day != THRESHOLDED_DAY.isoformat():
        message = ga.RunReportResponse(
            **headers, row_count=0, metadata=ga.ResponseMetaData(currency_code="EUR")
        )
        return json_format.MessageToJson(ga.RunReportResponse.pb(message))
    rows = [
        ("google", "cpc", "ga-101", "120", "100", "9"),
        ("(direct)", "(none)", "(not set)", "80", "70", "4"),
    ]
    offset = int(body.get("offset") or 0)
    source, medium, campaign, *metrics = rows[offset]
    message = ga.RunReportResponse(
        **headers,
        rows=[
            ga.Row(
                dimension_values=[
                    ga.DimensionValue(value=v)
                    for v in (day.replace("-", ""), source, medium, campaign)
                ],
                metric_values=[ga.MetricValue(value=v) for v in metrics],
            )
        ],
        row_count=len(rows),
        metadata=ga.ResponseMetaData(
            subject_to_thresholding=True,
            data_loss_from_other_row=False,
            sampling_metadatas=[
                ga.SamplingMetadata(samples_read_count=480_000, sampling_space_size=1_200_000)
            ],
            currency_code="EUR",
            time_zone="Europe/Paris",
        ),
    )
    return json_format.MessageToJson(ga.RunReportResponse.pb(message))


def test_requests_parse_strictly_and_library_built_answers_land(
    httpserver: HTTPServer,
    live_extract_run: Callable[[str], ExtractRun],
    warehouse: Path,
) -> None:
    seen: list[Request] = []
    path = f"/v1beta/properties/{LIVE_CREDENTIALS['GA4_PROPERTY_ID']}:runReport"
    httpserver.expect_request(path, method="POST").respond_with_handler(
        recording_handler(_response, seen)
    )
    run = live_extract_run("ga4")
    ga4.extract_sessions(run, [THRESHOLDED_DAY, EMPTY_DAY])

    for request in seen:
        message = ga.RunReportRequest.pb(ga.RunReportRequest())
        json_format.ParseDict(json.loads(request.data), message, ignore_unknown_fields=False)
        assert [d.name for d in message.dimensions] == list(ga4.DIMENSIONS)
    sessions = read_landed(warehouse, "ga4", "sessions", THRESHOLDED_DAY).to_pylist()
    assert {(r["session_source"], r["sessions"], r["add_to_carts"]) for r in sessions} == {
        ("google", 120, 9),
        ("(direct)", 80, 4),
    }
    [flags] = read_landed(warehouse, "ga4", "report_metadata", THRESHOLDED_DAY).to_pylist()
    assert (flags["subject_to_thresholding"], flags["is_sampled"]) == (True, True)
    assert flags["data_loss_from_other_row"] is False
    assert json.loads(flags["payload"])["samplingMetadatas"][0]["samplesReadCount"] == "480000"
    [empty] = read_landed(warehouse, "ga4", "report_metadata", EMPTY_DAY).to_pylist()
    assert (empty["subject_to_thresholding"], empty["is_sampled"]) == (False, False)
    assert read_landed(warehouse, "ga4", "sessions", EMPTY_DAY).num_rows == 0
