"""Asset groups and owners of the dbt nodes come from what dbt declares (`meta.dagster.group`,
per folder in dbt_project.yml), never from words in a model's name."""

from __future__ import annotations

import pytest

from orchestration.dbt.translator import JOURNEY_OWNERS, MissingJourneyGroup, journey_group

#: Every dbt asset's group, written out from the customer journey each one serves.
EXPECTED_GROUPS = {
    "acquisition": [
        "intermediate/int_ad_spend_on_stockouts",
        "intermediate/int_ad_spend_unioned",
        "intermediate/int_product_ad_spend_unioned",
        "intermediate/int_web_sessions_mapped",
        "marts/mart_ad_spend_on_stockouts",
        "marts/mart_campaign_daily",
        "marts/mart_channel_daily",
        "seeds/channel_mapping",
        "staging/stg_ga4__report_metadata",
        "staging/stg_ga4__sessions",
        "staging/stg_google_ads__campaign_stats",
        "staging/stg_google_ads__product_stats",
        "staging/stg_meta_ads__ad_insights",
        "staging/stg_meta_ads__campaign_insights",
    ],
    "conversion": [
        "intermediate/int_kpi_calendar",
        "intermediate/int_kpi_measures_daily",
        "intermediate/int_order_lines_enriched",
        "intermediate/int_orders_enriched",
        "intermediate/int_warehouse_stock_daily",
        "marts/dim_products",
        "marts/fct_order_lines",
        "marts/fct_orders",
        "marts/mart_kpi_daily",
        "marts/mart_kpi_monthly",
        "marts/mart_kpi_scorecard",
        "seeds/kpi_targets",
        "staging/stg_shop__fulfillments",
        "staging/stg_shop__order_lines",
        "staging/stg_shop__orders",
        "staging/stg_shop__product_variant_snapshots",
        "staging/stg_shop__product_variants",
        "staging/stg_shop__refund_lines",
    ],
    "retention": [
        "intermediate/int_customer_orders_sequenced",
        "intermediate/int_tickets_enriched",
        "marts/dim_customers",
        "marts/fct_support_tickets",
        "marts/mart_support_daily",
        "marts/mart_support_hourly",
        "seeds/ticket_reason_mapping",
        "staging/stg_zendesk__tickets",
    ],
    "stores": [
        "intermediate/int_rfid_counts_daily",
        "marts/dim_stores",
        "marts/fct_store_stock_daily",
        "marts/mart_store_picking_candidates",
        "seeds/stores",
        "staging/stg_rfid__events",
        "staging/stg_rfid__observations",
    ],
}


def _model(name: str, folders: list[str], group: str | None) -> dict:
    meta = {"dagster": {"group": group}} if group else {}
    return {
        "resource_type": "model",
        "name": name,
        "fqn": ["retail_pipeline", *folders, name],
        "original_file_path": f"models/{'/'.join(folders)}/{name}.sql",
        "config": {"meta": meta},
        "meta": meta,
    }


def test_the_group_is_the_declared_one_whatever_the_name_says() -> None:
    """`campaign` in a shop model's name, `customer` in a marketing one: the folder decides."""
    orders = _model("stg_shop__orders_by_campaign", ["staging", "shop"], "conversion")
    assert journey_group(orders) == "conversion"
    audiences = _model("int_customer_audiences", ["intermediate", "marketing"], "acquisition")
    assert journey_group(audiences) == "acquisition"


def test_a_node_without_a_declared_group_is_an_error_naming_its_file() -> None:
    with pytest.raises(MissingJourneyGroup, match=r"models/marts/new/mart_x\.sql .*dbt_project"):
        journey_group(_model("mart_x", ["marts", "new"], None))


def test_every_dbt_asset_has_the_group_and_owners_of_its_journey() -> None:
    from orchestration.dbt.assets import dbt_models

    specs = {spec.key.to_user_string(): spec for spec in dbt_models.specs}
    for group, keys in EXPECTED_GROUPS.items():
        for key in keys:
            assert specs[key].group_name == group, key
            assert list(specs[key].owners) == JOURNEY_OWNERS[group], key
    for key, spec in specs.items():
        assert spec.group_name in JOURNEY_OWNERS, key
