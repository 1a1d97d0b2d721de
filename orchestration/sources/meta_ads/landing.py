"""What the meta_ads source lands: each dataset's columns and how a day dedupes it.

Kept apart from `extract.py` (the API calls and the Dagster asset) so that the readers of the
landing zone (dbt sources, the quality suites' child process, the Postgres loader) load the
landing contract without Dagster.
"""

from __future__ import annotations

import pyarrow as pa

from orchestration.lib.landing import Dataset, Dedupe
from orchestration.lib.landing_schemas import AD_METRICS, landing_schema

SOURCE = "meta_ads"

META_ADS_CAMPAIGN_INSIGHTS = landing_schema(
    pa.field("date", pa.date32(), nullable=False),
    pa.field("campaign_id", pa.string(), nullable=False),
    pa.field("campaign_name", pa.string()),
    *AD_METRICS,  # conversions = purchase actions, conversions_value = purchase action_values
    pa.field("payload", pa.string(), nullable=False),
)

META_ADS_AD_INSIGHTS = landing_schema(
    pa.field("date", pa.date32(), nullable=False),
    pa.field("campaign_id", pa.string(), nullable=False),
    pa.field("ad_id", pa.string(), nullable=False),
    pa.field("sku", pa.string()),  # product id of a catalog ad, null for other ads
    *AD_METRICS,
    pa.field("payload", pa.string(), nullable=False),
)

DATASETS = {
    "campaign_insights": Dataset(META_ADS_CAMPAIGN_INSIGHTS, Dedupe(("date", "campaign_id"))),
    "ad_insights": Dataset(META_ADS_AD_INSIGHTS, Dedupe(("date", "campaign_id", "ad_id", "sku"))),
}
