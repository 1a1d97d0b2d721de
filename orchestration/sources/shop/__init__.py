"""Shop (Shopify GraphQL Admin API): orders updated on the day, and the catalog/stock snapshot.

Where each part lives: `api.py` how Shopify is called (auth, endpoint, cost-bucket pacing,
completing capped connections); `orders.py` the orders asset (paged, or `bulk.py` for long
ranges); `catalog.py` the catalog asset. The environment variables are those of `lib/config.py`
(`SHOP_URL`, `SHOP_ACCESS_TOKEN`, `SHOP_API_VERSION`, `SHOPIFY_BULK_MIN_DAYS`, `SHOP_TIMEZONE`)
and the option names of `catalog.py`.
"""

from orchestration.sources.shop.api import SOURCE
from orchestration.sources.shop.catalog import CATALOG_DATASETS, shop_catalog
from orchestration.sources.shop.orders import ORDER_DATASETS, shop_orders

#: Every dataset the shop lands, in the order of the landing contract.
DATASETS = {**ORDER_DATASETS, **CATALOG_DATASETS}

__all__ = ["DATASETS", "SOURCE", "shop_catalog", "shop_orders"]
