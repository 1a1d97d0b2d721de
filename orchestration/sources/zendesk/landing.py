"""What the zendesk source lands: each dataset's columns and how a day dedupes it.

Kept apart from `extract.py` (the API calls and the Dagster asset) so that the readers of the
landing zone (dbt sources, the quality suites' child process, the Postgres loader) load the
landing contract without Dagster.
"""

from __future__ import annotations

import pyarrow as pa

from orchestration.lib.landing import Dataset, Dedupe
from orchestration.lib.landing_schemas import UTC_TIMESTAMP, landing_schema

SOURCE = "zendesk"

ZENDESK_TICKETS = landing_schema(
    pa.field("ticket_id", pa.int64(), nullable=False),
    pa.field("created_at", UTC_TIMESTAMP, nullable=False),
    pa.field("updated_at", UTC_TIMESTAMP, nullable=False),
    pa.field("status", pa.string()),
    pa.field("channel", pa.string()),  # via.channel
    pa.field("tags", pa.list_(pa.string())),
    pa.field("reason_tag", pa.string()),  # the tag starting with "reason_", if any
    pa.field("order_number", pa.string()),  # the order-number custom field, e.g. "#1001"
    pa.field("satisfaction_score", pa.string()),  # good, bad, offered, unoffered
    pa.field("first_reply_minutes", pa.int64()),  # metric_set reply_time_in_minutes.calendar
    pa.field("full_resolution_minutes", pa.int64()),
    pa.field("first_reply_minutes_business", pa.int64()),  # reply_time_in_minutes.business
    pa.field("full_resolution_minutes_business", pa.int64()),
    pa.field("reopens", pa.int64()),  # metric_set reopens
    pa.field("replies", pa.int64()),  # metric_set replies
    pa.field("payload", pa.string(), nullable=False),  # whitelisted fields only
)

DATASETS = {"tickets": Dataset(ZENDESK_TICKETS, Dedupe(("ticket_id",), "updated_at"))}
