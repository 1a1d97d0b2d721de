"""The landing zone's contract: one Arrow schema per landed dataset.

The extractors write these schemas and the dbt sources read them, so this module is the single
place where a landed column is named and typed. Layout on disk:

    {WAREHOUSE_DIR}/landing/{source}/{dataset}/date={YYYY-MM-DD}/data.parquet
    {WAREHOUSE_DIR}/landing/{source}/_rejects/{dataset}/date={YYYY-MM-DD}/data.parquet

A day is always written, even when it has no rows, so that a glob over a source always matches and
its schema is known. Every dataset ends with the bookkeeping columns of `BOOKKEEPING_FIELDS`.

Money is `decimal(18, 4)` in the shop currency as the API sends it (tax included or not, as the
order says); timestamps are UTC; `payload` is the record's JSON as received, with every field that
the extractor does not need removed first (no personal data).
"""

from __future__ import annotations

import pyarrow as pa

MONEY = pa.decimal128(18, 4)
UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

BOOKKEEPING_FIELDS: list[pa.Field] = [
    pa.field("_partition_date", pa.date32(), nullable=False),
    pa.field("_extracted_at", UTC_TIMESTAMP, nullable=False),
    pa.field("_source_mode", pa.string(), nullable=False),  # "demo" or "live"
]


def _schema(*fields: pa.Field) -> pa.Schema:
    return pa.schema([*fields, *BOOKKEEPING_FIELDS])


SHOP_ORDERS = _schema(
    pa.field("order_id", pa.string(), nullable=False),  # gid://shopify/Order/N
    pa.field("order_name", pa.string()),  # "#1001", what tickets quote
    pa.field("created_at", UTC_TIMESTAMP, nullable=False),
    pa.field("updated_at", UTC_TIMESTAMP, nullable=False),
    pa.field("processed_at", UTC_TIMESTAMP),
    pa.field("cancelled_at", UTC_TIMESTAMP),
    pa.field("is_test", pa.bool_(), nullable=False),
    pa.field("currency_code", pa.string()),
    pa.field("taxes_included", pa.bool_(), nullable=False),
    pa.field("customer_id", pa.string()),  # gid://shopify/Customer/N, opaque
    pa.field("source_name", pa.string()),
    pa.field("landing_page", pa.string()),
    pa.field("utm_source", pa.string()),
    pa.field("utm_medium", pa.string()),
    pa.field("utm_campaign", pa.string()),
    pa.field("utm_content", pa.string()),
    pa.field("utm_term", pa.string()),
    pa.field("payload", pa.string(), nullable=False),
)

SHOP_ORDER_LINES = _schema(
    pa.field("order_id", pa.string(), nullable=False),
    pa.field("order_updated_at", UTC_TIMESTAMP, nullable=False),  # version of the parent order
    pa.field("line_id", pa.string(), nullable=False),
    pa.field("sku", pa.string()),
    pa.field("quantity", pa.int64(), nullable=False),
    pa.field("original_unit_price", MONEY, nullable=False),
    pa.field("discount_amount", MONEY, nullable=False),  # sum of discountAllocations
    pa.field("tax_amount", MONEY, nullable=False),  # sum of taxLines
)

SHOP_REFUND_LINES = _schema(
    pa.field("order_id", pa.string(), nullable=False),
    pa.field("order_updated_at", UTC_TIMESTAMP, nullable=False),
    pa.field("refund_id", pa.string(), nullable=False),
    pa.field("refund_created_at", UTC_TIMESTAMP, nullable=False),
    pa.field("line_id", pa.string(), nullable=False),
    pa.field("quantity", pa.int64(), nullable=False),
    pa.field("subtotal", MONEY, nullable=False),
)

SHOP_FULFILLMENTS = _schema(
    pa.field("order_id", pa.string(), nullable=False),
    pa.field("order_updated_at", UTC_TIMESTAMP, nullable=False),
    pa.field("fulfillment_index", pa.int32(), nullable=False),  # position in the order's list
    pa.field("created_at", UTC_TIMESTAMP, nullable=False),
    pa.field("status", pa.string()),
)

SHOP_PRODUCT_VARIANTS = _schema(
    pa.field("variant_id", pa.string(), nullable=False),
    pa.field("sku", pa.string(), nullable=False),
    pa.field("barcode", pa.string()),  # as the shop stores it (EAN-13 / UPC-12)
    pa.field("gtin14", pa.string()),  # barcode normalised to GTIN-14
    pa.field("price", MONEY),
    pa.field("shop_taxes_included", pa.bool_()),  # shop { taxesIncluded }: `price` includes tax
    pa.field("product_id", pa.string(), nullable=False),
    pa.field("product_title", pa.string()),
    pa.field("vendor", pa.string()),  # the brand
    pa.field("product_type", pa.string()),  # the category
    pa.field("colour", pa.string()),  # selectedOptions value named like a colour (shop.py)
    pa.field("size", pa.string()),  # selectedOptions value named like a size
    pa.field("unit_cost", MONEY),
    pa.field("warehouse_available_qty", pa.int64()),
    pa.field("snapshot_at", UTC_TIMESTAMP, nullable=False),  # when the stock was read
    pa.field("payload", pa.string(), nullable=False),
)

_AD_METRICS = (
    pa.field("impressions", pa.int64()),
    pa.field("clicks", pa.int64()),
    pa.field("spend", MONEY, nullable=False),  # shop currency (Google: costMicros / 1e6)
    pa.field("conversions", pa.float64()),
    pa.field("conversions_value", MONEY),
)

GOOGLE_ADS_CAMPAIGN_STATS = _schema(
    pa.field("date", pa.date32(), nullable=False),
    pa.field("campaign_id", pa.string(), nullable=False),
    pa.field("campaign_name", pa.string()),
    pa.field("cost_micros", pa.int64(), nullable=False),
    *_AD_METRICS,
    pa.field("payload", pa.string(), nullable=False),
)

GOOGLE_ADS_PRODUCT_STATS = _schema(
    pa.field("date", pa.date32(), nullable=False),
    pa.field("campaign_id", pa.string(), nullable=False),
    pa.field("sku", pa.string(), nullable=False),  # segments.product_item_id
    pa.field("cost_micros", pa.int64(), nullable=False),
    *_AD_METRICS,
    pa.field("payload", pa.string(), nullable=False),
)

META_ADS_CAMPAIGN_INSIGHTS = _schema(
    pa.field("date", pa.date32(), nullable=False),
    pa.field("campaign_id", pa.string(), nullable=False),
    pa.field("campaign_name", pa.string()),
    *_AD_METRICS,  # conversions = purchase actions, conversions_value = purchase action_values
    pa.field("payload", pa.string(), nullable=False),
)

META_ADS_AD_INSIGHTS = _schema(
    pa.field("date", pa.date32(), nullable=False),
    pa.field("campaign_id", pa.string(), nullable=False),
    pa.field("ad_id", pa.string(), nullable=False),
    pa.field("sku", pa.string()),  # product id of a catalog ad, null for other ads
    *_AD_METRICS,
    pa.field("payload", pa.string(), nullable=False),
)

RFID_EVENTS = _schema(
    pa.field("event_id", pa.string(), nullable=False),
    pa.field("event_time", UTC_TIMESTAMP, nullable=False),
    pa.field("event_time_zone_offset", pa.string()),
    pa.field("biz_step", pa.string(), nullable=False),  # short form: cycle_counting
    pa.field("store_gln", pa.string(), nullable=False),  # GLN-13 from bizLocation SGLN
    pa.field("read_point", pa.string()),
    pa.field("payload", pa.string(), nullable=False),
)

RFID_OBSERVATIONS = _schema(
    pa.field("event_id", pa.string(), nullable=False),
    pa.field("event_time", UTC_TIMESTAMP, nullable=False),
    pa.field("store_gln", pa.string(), nullable=False),
    pa.field("read_point", pa.string()),
    pa.field("gtin14", pa.string(), nullable=False),
    pa.field("serial", pa.string()),  # null for a quantityList (class-level) observation
    pa.field("quantity", pa.int64(), nullable=False),  # 1 for a serialised item
)

ZENDESK_TICKETS = _schema(
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

GA4_SESSIONS = _schema(
    pa.field("date", pa.date32(), nullable=False),
    pa.field("session_source", pa.string()),
    pa.field("session_medium", pa.string()),
    pa.field("session_campaign_name", pa.string()),
    pa.field("sessions", pa.int64(), nullable=False),
    pa.field("total_users", pa.int64()),
    pa.field("add_to_carts", pa.int64()),
    pa.field("payload", pa.string(), nullable=False),
)

GA4_REPORT_METADATA = _schema(
    pa.field("date", pa.date32(), nullable=False),
    pa.field("subject_to_thresholding", pa.bool_(), nullable=False),
    pa.field("data_loss_from_other_row", pa.bool_(), nullable=False),
    pa.field("is_sampled", pa.bool_(), nullable=False),
    pa.field("payload", pa.string(), nullable=False),  # the response's `metadata` object
)

REJECTS = _schema(
    pa.field("source", pa.string(), nullable=False),
    pa.field("dataset", pa.string(), nullable=False),
    pa.field("record_id", pa.string()),  # null when the id itself is what is missing
    pa.field("field", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("payload", pa.string(), nullable=False),
)

#: source -> dataset -> schema. The keys are the folder names under landing/.
LANDING_DATASETS: dict[str, dict[str, pa.Schema]] = {
    "shop": {
        "orders": SHOP_ORDERS,
        "order_lines": SHOP_ORDER_LINES,
        "refund_lines": SHOP_REFUND_LINES,
        "fulfillments": SHOP_FULFILLMENTS,
        "product_variants": SHOP_PRODUCT_VARIANTS,
    },
    "google_ads": {
        "campaign_stats": GOOGLE_ADS_CAMPAIGN_STATS,
        "product_stats": GOOGLE_ADS_PRODUCT_STATS,
    },
    "meta_ads": {
        "campaign_insights": META_ADS_CAMPAIGN_INSIGHTS,
        "ad_insights": META_ADS_AD_INSIGHTS,
    },
    "rfid": {
        "events": RFID_EVENTS,
        "observations": RFID_OBSERVATIONS,
    },
    "zendesk": {
        "tickets": ZENDESK_TICKETS,
    },
    "ga4": {
        "sessions": GA4_SESSIONS,
        "report_metadata": GA4_REPORT_METADATA,
    },
}

REJECTS_DATASET = "_rejects"
