"""What the google_ads source lands: each dataset's columns and how a day dedupes it.

Kept apart from `extract.py` (the API calls and the Dagster asset) so that the readers of the
landing zone (dbt sources, the quality suites' child process, the Postgres loader) load the
landing contract without Dagster.
"""

from __future__ import annotations

import pyarrow as pa

from orchestration.lib.landing import Dataset, Dedupe
from orchestration.lib.landing_schemas import AD_METRICS, landing_schema

SOURCE = "google_ads"

GOOGLE_ADS_CAMPAIGN_STATS = landing_schema(
    pa.field("date", pa.date32(), nullable=False),
    pa.field("campaign_id", pa.string(), nullable=False),
    pa.field("campaign_name", pa.string()),
    pa.field("cost_micros", pa.int64(), nullable=False),
    *AD_METRICS,
    pa.field("payload", pa.string(), nullable=False),
)

GOOGLE_ADS_PRODUCT_STATS = landing_schema(
    pa.field("date", pa.date32(), nullable=False),
    pa.field("campaign_id", pa.string(), nullable=False),
    pa.field("sku", pa.string(), nullable=False),  # segments.product_item_id
    pa.field("cost_micros", pa.int64(), nullable=False),
    *AD_METRICS,
    pa.field("payload", pa.string(), nullable=False),
)

DATASETS = {
    "campaign_stats": Dataset(GOOGLE_ADS_CAMPAIGN_STATS, Dedupe(("date", "campaign_id"))),
    "product_stats": Dataset(GOOGLE_ADS_PRODUCT_STATS, Dedupe(("date", "campaign_id", "sku"))),
}
