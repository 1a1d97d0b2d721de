"""Shop (Shopify GraphQL Admin API): orders updated on the day, and the catalog/stock snapshot.

`api.py` is how Shopify is called (auth, endpoint, cost-bucket pacing, completing capped
connections); `orders.py` the orders asset (paged, or `bulk.py` for long ranges); `catalog.py`
the catalog asset; `landing.py` what lands (schemas, dedupe rules).
"""
