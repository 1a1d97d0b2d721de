"""The Dagster code location: assembles what the modules define (kept short on purpose)."""

import dagster as dg

from orchestration.dbt.assets import dbt_models, dbt_resource, published_model_keys
from orchestration.dbt.docs import dbt_docs
from orchestration.demo import DemoPipelineResource
from orchestration.freshness import PUBLISHED_MARTS, freshness_checks, freshness_sensor
from orchestration.jobs import PIPELINE_EXECUTOR, daily_pipeline_job
from orchestration.publication import build_published_marts_asset
from orchestration.quality import build_quality_checks
from orchestration.recovery import dead_run_recovery
from orchestration.reports.assets import report_assets
from orchestration.schedules import daily_pipeline_schedule
from orchestration.sensors import run_failure_alert
from orchestration.sources.ga4.extract import ga4_sessions
from orchestration.sources.google_ads.extract import google_ads
from orchestration.sources.meta_ads.extract import meta_ads
from orchestration.sources.rfid.extract import rfid_counts
from orchestration.sources.shop.catalog import shop_catalog
from orchestration.sources.shop.orders import shop_orders
from orchestration.sources.zendesk.extract import zendesk_tickets

extract_assets = [
    shop_orders,
    shop_catalog,
    google_ads,
    meta_ads,
    rfid_counts,
    zendesk_tickets,
    ga4_sessions,
]

#: What BI and the data team need fresh every morning: each extract and the publication.
freshness_monitored = [*(asset.key for asset in extract_assets), PUBLISHED_MARTS]

defs = dg.Definitions(
    assets=[
        *extract_assets,
        dbt_models,
        build_published_marts_asset(published_model_keys()),
        *report_assets,
        dbt_docs,
    ],
    asset_checks=[
        *build_quality_checks(assets=extract_assets),
        freshness_checks(freshness_monitored),
    ],
    jobs=[daily_pipeline_job],
    schedules=[daily_pipeline_schedule],
    sensors=[run_failure_alert, dead_run_recovery, freshness_sensor(freshness_monitored)],
    # With no source URL set, the extracts read the bundled simulator that demo.py starts.
    resources={"pipeline": DemoPipelineResource(), "dbt": dbt_resource()},
    executor=PIPELINE_EXECUTOR,
)
