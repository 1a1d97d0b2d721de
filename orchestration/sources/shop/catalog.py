"""The shop's catalog: every product variant with its barcode, price, cost and stock, now.

Particular to the catalog: the API only knows the current stock, so a run lands one snapshot of
*now* under the range's first day and copies it under the others, with the shop's
`taxesIncluded` setting read alongside (whether `price` includes tax is the shop's setting). A
variant's inventory levels (one per location) are completed with a follow-up query when they
have more than one page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from orchestration.lib.extract import ExtractRun, extract_asset
from orchestration.lib.gs1 import normalize_gtin
from orchestration.lib.http import ApiClient, ApiError
from orchestration.lib.landing import (
    InvalidRecord,
    copy_day,
    landing_path,
    parse_count,
    parse_money,
    pick,
    rejects_path,
    required,
    to_json,
)
from orchestration.lib.pagination import graphql_pages
from orchestration.sources.shop.api import (
    PAGE_INFO,
    answered_version,
    complete_connection,
    graphql_path,
    shop_client,
)
from orchestration.sources.shop.landing import CATALOG_DATASETS, SOURCE

#: Page sizes keep a query's calculated cost under Shopify's 1,000-point single-query limit.
VARIANTS_PAGE = 100
INVENTORY_LEVELS_PAGE = 10


VARIANT_SHAPE = {
    "id": None,
    "sku": None,
    "barcode": None,
    "price": None,
    "selectedOptions": {"name": None, "value": None},
    "product": dict.fromkeys(("id", "title", "vendor", "productType")),
    "inventoryItem": {
        "id": None,
        "unitCost": {"amount": None},
        "inventoryLevels": {
            "nodes": {"location": {"id": None}, "quantities": {"name": None, "quantity": None}},
            "pageInfo": {"hasNextPage": None},
        },
    },
}

_LEVEL = 'location { id } quantities(names: ["available"]) { name quantity }'

INVENTORY_LEVELS_QUERY = f"""
query InventoryLevels($id: ID!, $cursor: String) {{
  inventoryItem(id: $id) {{
    inventoryLevels(first: {INVENTORY_LEVELS_PAGE}, after: $cursor) {{
      nodes {{ {_LEVEL} }}
      {PAGE_INFO}
    }}
  }}
}}
"""
SHOP_QUERY = """
query ShopSettings {
  shop { taxesIncluded currencyCode ianaTimezone }
}
"""
VARIANTS_QUERY = f"""
query Variants($cursor: String) {{
  productVariants(first: {VARIANTS_PAGE}, after: $cursor) {{
    nodes {{
      id sku barcode price
      selectedOptions {{ name value }}
      product {{ id title vendor productType }}
      inventoryItem {{
        id
        unitCost {{ amount }}
        inventoryLevels(first: {INVENTORY_LEVELS_PAGE}) {{
          nodes {{ {_LEVEL} }}
          {PAGE_INFO}
        }}
      }}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""
#: The option names that mean colour and size. Shopify has no colour or size field: the merchant
#: names a product's options ("Color", "Couleur", "Taille"...), so the names are a list, matched
#: case-insensitively, set by a comma-separated env var. The first option whose name is listed
#: gives the value; none listed gives null (an accessory has no size), never a guess.
COLOUR_OPTIONS_VAR = "SHOP_COLOUR_OPTION_NAMES"
SIZE_OPTIONS_VAR = "SHOP_SIZE_OPTION_NAMES"
DEFAULT_COLOUR_OPTIONS = ("Colour", "Color", "Couleur", "Farbe", "Colore")
DEFAULT_SIZE_OPTIONS = ("Size", "Taille", "Größe", "Taglia", "Talla")


_LEVELS = (INVENTORY_LEVELS_QUERY, lambda data: data["inventoryItem"]["inventoryLevels"])


def with_all_inventory_levels(client: ApiClient, path: str, node: Mapping[str, Any]) -> dict:
    """The variant node with its item's `inventoryLevels` read to the end (every location)."""
    item = node.get("inventoryItem")
    if not item:
        return dict(node)
    levels = complete_connection(client, path, item.get("inventoryLevels"), _LEVELS, item.get("id"))
    return {**node, "inventoryItem": {**item, "inventoryLevels": {"nodes": levels}}}


def gtin_of(barcode: str | None) -> str | None:
    """The barcode as GTIN-14; None when the variant has none (Shopify's barcode is optional).

    A barcode that is not a GTIN (letters, wrong length or check digit) rejects the variant: with
    a null GTIN it would land but never match an RFID count, and nobody would know why.
    """
    if not barcode:
        return None
    try:
        return normalize_gtin(barcode)
    except ValueError as error:
        raise InvalidRecord("barcode", f"not a GTIN: {error}") from None


@dataclass(frozen=True)
class OptionNames:
    """Which `selectedOptions` names are the colour and the size (lower case)."""

    colour: frozenset[str]
    size: frozenset[str]


def option_names(env: Mapping[str, str]) -> OptionNames:
    """The colour and size option names from the environment, else the defaults."""

    def names(var: str, default: tuple[str, ...]) -> frozenset[str]:
        listed = [n.strip() for n in env.get(var, "").split(",") if n.strip()]
        return frozenset(n.casefold() for n in (listed or default))

    return OptionNames(
        names(COLOUR_OPTIONS_VAR, DEFAULT_COLOUR_OPTIONS),
        names(SIZE_OPTIONS_VAR, DEFAULT_SIZE_OPTIONS),
    )


DEFAULT_OPTION_NAMES = option_names({})


def option_value(node: Mapping[str, Any], names: frozenset[str]) -> str | None:
    """The value of the variant's first selected option whose name is in `names`."""
    for option in node.get("selectedOptions") or []:
        if str(option.get("name") or "").strip().casefold() in names:
            return str(option.get("value") or "").strip() or None
    return None


def variant_row(
    node: Mapping[str, Any],
    snapshot_at: datetime,
    taxes_included: bool,
    options: OptionNames = DEFAULT_OPTION_NAMES,
) -> dict[str, Any]:
    """One productVariant -> a catalog row; stock is `available` summed over locations."""
    barcode = node.get("barcode") or None
    product = node.get("product") or {}
    item = node.get("inventoryItem") or {}
    levels = (item.get("inventoryLevels") or {}).get("nodes") or []
    quantities = [
        parse_count(q.get("quantity"), "inventoryLevels.quantities")
        for level in levels
        for q in level.get("quantities") or []
        if q.get("name") == "available"
    ]
    unit_cost = (item.get("unitCost") or {}).get("amount")
    price = node.get("price")
    return {
        "variant_id": required(node, "id"),
        "sku": required(node, "sku"),
        "barcode": barcode,
        "gtin14": gtin_of(barcode),
        "price": None if price is None else parse_money(price, "price"),
        "shop_taxes_included": taxes_included,
        "product_id": required(product, "id"),
        "product_title": product.get("title"),
        "vendor": product.get("vendor"),
        "product_type": product.get("productType"),
        "colour": option_value(node, options.colour),
        "size": option_value(node, options.size),
        "unit_cost": None if unit_cost is None else parse_money(unit_cost, "unitCost"),
        "warehouse_available_qty": sum(quantities) if levels else None,
        "snapshot_at": snapshot_at,
        "payload": to_json(pick(node, VARIANT_SHAPE)),
    }


def variant_nodes(client: ApiClient, path: str) -> Iterator[Mapping[str, Any]]:
    """Every variant, each with all its inventory levels."""
    for page in graphql_pages(client, path, VARIANTS_QUERY, {}, lambda d: d["productVariants"]):
        for node in page.get("nodes") or []:
            yield with_all_inventory_levels(client, path, node)


def shop_settings(client: ApiClient, path: str) -> dict[str, Any]:
    """`shop { taxesIncluded currencyCode ianaTimezone }`: whether catalog prices include tax
    is the shop's setting, read with the catalog rather than assumed."""
    shop = client.graphql(path, SHOP_QUERY, {}).get("shop") or {}
    if not isinstance(shop.get("taxesIncluded"), bool):
        raise ApiError(SOURCE, "POST", client.url(path), 200, "shop.taxesIncluded is missing")
    return shop


def extract_catalog(run: ExtractRun, days: list[date]) -> dict[str, Any]:
    """One API snapshot, landed under the range's first day and copied under the others."""
    snapshot_at = datetime.now(UTC)
    client, path = shop_client(run), graphql_path(run)
    settings = shop_settings(client, path)
    options = option_names(run.config.shop_option_names)
    first, *others = days
    with run.day(first, CATALOG_DATASETS) as landing:
        for node in variant_nodes(client, path):
            try:
                row = variant_row(node, snapshot_at, settings["taxesIncluded"], options)
            except InvalidRecord as invalid:
                landing.reject(
                    "product_variants", node.get("id"), invalid.field, invalid.reason, node
                )
                continue
            landing.write("product_variants", row)
    landed = run.totals.rows["product_variants"], run.totals.rejects["product_variants"]
    warehouse = run.config.warehouse_dir
    for day in others:  # the same snapshot under every other day of the range
        for file_path in (landing_path, rejects_path):
            source_file = file_path(warehouse, SOURCE, "product_variants", first)
            copy_day(source_file, file_path(warehouse, SOURCE, "product_variants", day), day)
        run.totals.rows["product_variants"] += landed[0]
        run.totals.rejects["product_variants"] += landed[1]
        run.totals.files += 2
    snapshot_day = snapshot_at.astimezone(ZoneInfo(run.config.shop_timezone)).date()
    # A daily run lands D = yesterday; any older day gets a stock that is not its own.
    backfilled = [d for d in days if (snapshot_day - d).days > 1]
    return {
        **answered_version(run, client),
        "snapshot_at": snapshot_at.isoformat(),
        "shop_taxes_included": settings["taxesIncluded"],
        "shop_currency_code": settings.get("currencyCode"),
        "shop_iana_timezone": settings.get("ianaTimezone"),
        "backfilled_days_with_current_stock": len(backfilled),
        "snapshot_note": (
            f"{len(backfilled)} day(s) older than yesterday carry the stock as of snapshot_at "
            "(the API only knows current stock), not their historical stock"
            if backfilled
            else "stock read on the morning after the partition day"
        ),
    }


shop_catalog = extract_asset(
    "shop_catalog",
    source=SOURCE,
    group="conversion",
    description=(
        "Shopify product variants with barcode (GTIN-14), price, cost and warehouse stock. The API "
        "only knows today's stock: every day of a run lands the snapshot taken at run time."
    ),
)(extract_catalog)
