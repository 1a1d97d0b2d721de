"""What the shop source lands: each dataset's columns and how a day dedupes it.

Kept apart from the extracts (the API calls and the Dagster assets) so that the readers of the
landing zone (dbt sources, the quality suites' child process, the Postgres loader) load the
landing contract without Dagster.
"""

from __future__ import annotations

import pyarrow as pa

from orchestration.lib.landing import Dataset, Dedupe
from orchestration.lib.landing_schemas import MONEY, UTC_TIMESTAMP, landing_schema

SOURCE = "shop"

SHOP_ORDERS = landing_schema(
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

SHOP_ORDER_LINES = landing_schema(
    pa.field("order_id", pa.string(), nullable=False),
    pa.field("order_updated_at", UTC_TIMESTAMP, nullable=False),  # version of the parent order
    pa.field("line_id", pa.string(), nullable=False),
    pa.field("sku", pa.string()),
    pa.field("quantity", pa.int64(), nullable=False),
    pa.field("original_unit_price", MONEY, nullable=False),
    pa.field("discount_amount", MONEY, nullable=False),  # sum of discountAllocations
    pa.field("tax_amount", MONEY, nullable=False),  # sum of taxLines
)

SHOP_REFUND_LINES = landing_schema(
    pa.field("order_id", pa.string(), nullable=False),
    pa.field("order_updated_at", UTC_TIMESTAMP, nullable=False),
    pa.field("refund_id", pa.string(), nullable=False),
    pa.field("refund_created_at", UTC_TIMESTAMP, nullable=False),
    pa.field("line_id", pa.string(), nullable=False),
    pa.field("quantity", pa.int64(), nullable=False),
    pa.field("subtotal", MONEY, nullable=False),
)

SHOP_FULFILLMENTS = landing_schema(
    pa.field("order_id", pa.string(), nullable=False),
    pa.field("order_updated_at", UTC_TIMESTAMP, nullable=False),
    pa.field("fulfillment_index", pa.int32(), nullable=False),  # position in the order's list
    pa.field("created_at", UTC_TIMESTAMP, nullable=False),
    pa.field("status", pa.string()),
)

ORDER_DATASETS = {
    "orders": Dataset(SHOP_ORDERS, Dedupe(("order_id",), "updated_at")),
    "order_lines": Dataset(SHOP_ORDER_LINES, Dedupe(("order_id", "line_id"), "order_updated_at")),
    "refund_lines": Dataset(
        SHOP_REFUND_LINES, Dedupe(("order_id", "refund_id", "line_id"), "order_updated_at")
    ),
    "fulfillments": Dataset(
        SHOP_FULFILLMENTS, Dedupe(("order_id", "fulfillment_index"), "order_updated_at")
    ),
}

SHOP_PRODUCT_VARIANTS = landing_schema(
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
    pa.field("colour", pa.string()),  # selectedOptions value named like a colour
    pa.field("size", pa.string()),  # selectedOptions value named like a size
    pa.field("unit_cost", MONEY),
    pa.field("warehouse_available_qty", pa.int64()),
    pa.field("snapshot_at", UTC_TIMESTAMP, nullable=False),  # when the stock was read
    pa.field("payload", pa.string(), nullable=False),
)

CATALOG_DATASETS = {"product_variants": Dataset(SHOP_PRODUCT_VARIANTS, Dedupe(("variant_id",)))}

#: Every dataset the shop lands, in the order of the landing contract.
DATASETS = {**ORDER_DATASETS, **CATALOG_DATASETS}
