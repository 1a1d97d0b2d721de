"""What the ga4 source lands: each dataset's columns and how a day dedupes it.

Kept apart from `extract.py` (the API calls and the Dagster asset) so that the readers of the
landing zone (dbt sources, the quality suites' child process, the Postgres loader) load the
landing contract without Dagster.
"""

from __future__ import annotations

import pyarrow as pa

from orchestration.lib.landing import Dataset, Dedupe
from orchestration.lib.landing_schemas import landing_schema

SOURCE = "ga4"

GA4_SESSIONS = landing_schema(
    pa.field("date", pa.date32(), nullable=False),
    pa.field("session_source", pa.string()),
    pa.field("session_medium", pa.string()),
    pa.field("session_campaign_name", pa.string()),
    pa.field("sessions", pa.int64(), nullable=False),
    pa.field("total_users", pa.int64()),
    pa.field("add_to_carts", pa.int64()),
    pa.field("payload", pa.string(), nullable=False),
)

GA4_REPORT_METADATA = landing_schema(
    pa.field("date", pa.date32(), nullable=False),
    pa.field("subject_to_thresholding", pa.bool_(), nullable=False),
    pa.field("data_loss_from_other_row", pa.bool_(), nullable=False),
    pa.field("is_sampled", pa.bool_(), nullable=False),
    pa.field("payload", pa.string(), nullable=False),  # the response's `metadata` object
)

DATASETS = {
    "sessions": Dataset(
        GA4_SESSIONS,
        Dedupe(("date", "session_source", "session_medium", "session_campaign_name")),
    ),
    "report_metadata": Dataset(GA4_REPORT_METADATA, Dedupe(("date",))),
}
