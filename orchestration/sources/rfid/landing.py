"""What the rfid source lands: each dataset's columns and how a day dedupes it.

Kept apart from `extract.py` (the API calls and the Dagster asset) so that the readers of the
landing zone (dbt sources, the quality suites' child process, the Postgres loader) load the
landing contract without Dagster.
"""

from __future__ import annotations

import pyarrow as pa

from orchestration.lib.landing import Dataset, Dedupe
from orchestration.lib.landing_schemas import UTC_TIMESTAMP, landing_schema

SOURCE = "rfid"

RFID_EVENTS = landing_schema(
    pa.field("event_id", pa.string(), nullable=False),
    pa.field("event_time", UTC_TIMESTAMP, nullable=False),
    pa.field("event_time_zone_offset", pa.string()),
    pa.field("biz_step", pa.string(), nullable=False),  # short form: cycle_counting
    pa.field("store_gln", pa.string(), nullable=False),  # GLN-13 from bizLocation SGLN
    pa.field("read_point", pa.string()),
    pa.field("payload", pa.string(), nullable=False),
)

RFID_OBSERVATIONS = landing_schema(
    pa.field("event_id", pa.string(), nullable=False),
    pa.field("event_time", UTC_TIMESTAMP, nullable=False),
    pa.field("store_gln", pa.string(), nullable=False),
    pa.field("read_point", pa.string()),
    pa.field("gtin14", pa.string(), nullable=False),
    pa.field("serial", pa.string()),  # null for a quantityList (class-level) observation
    pa.field("quantity", pa.int64(), nullable=False),  # 1 for a serialised item
)

DATASETS = {
    "events": Dataset(RFID_EVENTS, Dedupe(("event_id",))),
    "observations": Dataset(RFID_OBSERVATIONS, Dedupe(("event_id", "gtin14", "serial"))),
}
