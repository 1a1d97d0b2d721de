"""The one simulated retailer behind all six APIs: catalog, stores, campaigns, traffic, calendar.

Everything here is static for a given config (seeded), so every API sees the same skus, GTINs,
stores and campaign ids: that is what makes the sources joinable downstream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from simulator import gs1
from simulator.config import SimulatorConfig
from simulator.rng import Stream, generator

VAT_RATE = 0.20
CURRENCY = "EUR"
SHOP_DOMAIN = "https://shop.example.com"
CALENDAR_YEARS = 25  # days after history_start with a precomputed order count


@dataclass(frozen=True)
class Category:
    product_type: str
    code: str
    sizes: tuple[str, ...]
    price_range: tuple[float, float]  # list price, tax included
    return_rate: float  # probability that a sold unit comes back
    weight: float  # share of styles


CATEGORIES: tuple[Category, ...] = (
    Category("dresses", "DRS", ("XS", "S", "M", "L", "XL"), (49, 149), 0.32, 1.2),
    Category("jeans", "JNS", ("26", "28", "30", "32", "34", "36"), (59, 129), 0.30, 1.0),
    Category("t-shirts", "TSH", ("XS", "S", "M", "L", "XL", "XXL"), (19, 45), 0.15, 1.3),
    Category("knitwear", "KNT", ("XS", "S", "M", "L", "XL"), (49, 129), 0.22, 0.9),
    Category("jackets", "JKT", ("S", "M", "L", "XL"), (89, 249), 0.25, 0.7),
    Category(
        "shoes", "SHO", ("37", "38", "39", "40", "41", "42", "43", "44"), (69, 189), 0.30, 0.6
    ),
    Category("accessories", "ACC", ("OS",), (15, 79), 0.08, 1.0),
    Category("shirts", "SHT", ("S", "M", "L", "XL", "XXL"), (39, 89), 0.20, 0.8),
    Category("skirts", "SKT", ("XS", "S", "M", "L"), (39, 99), 0.26, 0.6),
)

BRANDS: tuple[tuple[str, str], ...] = (
    ("ACME", "Acme Atelier"),
    ("NORD", "Nordlys"),
    ("LUNE", "Maison Lune"),
    ("VERT", "Vert Bocage"),
    ("RIVA", "Riva Denim"),
    ("SOLE", "Solène"),
    ("BRKL", "Brooklyn Supply"),  # a US brand: UPC-12 barcodes
    ("KAZE", "Kaze"),
)
UPC_BRAND = "BRKL"
# How each brand's shop names the variant options: merchants name them freely (Shopify has no
# fixed "colour" or "size" field), so the demo serves the spellings the extractor must recognise.
OPTION_NAMES: dict[str, tuple[str, str]] = {
    "BRKL": ("Color", "Size"),
    "SOLE": ("Couleur", "Taille"),
}
DEFAULT_OPTION_NAMES = ("Colour", "Size")
COLOURS = ("Black", "Navy", "Ecru", "Olive", "Burgundy", "Camel", "Grey marl", "Sky blue", "White")
COLOURS_FR = ("Noir", "Marine", "Écru", "Olive", "Bordeaux", "Camel", "Gris chiné", "Ciel", "Blanc")
ONE_SIZE = "OS"  # accessories: one variant per colour, no size option
OWN_ITEM_REF_START = 10_000  # item refs 1xxxx..: never equal to a store GLN

ADJECTIVES = (
    "Linen",
    "Organic",
    "Classic",
    "Relaxed",
    "Slim",
    "Wool",
    "Cotton",
    "Vintage",
    "Essential",
    "Cropped",
    "Oversized",
    "Printed",
    "Ribbed",
    "Recycled",
    "Soft",
)
NOUNS = {
    "dresses": "Dress",
    "jeans": "Jeans",
    "t-shirts": "Tee",
    "knitwear": "Sweater",
    "jackets": "Jacket",
    "shoes": "Sneakers",
    "accessories": "Bag",
    "shirts": "Shirt",
    "skirts": "Skirt",
}


@dataclass(frozen=True)
class Catalog:
    """One entry per sku (variant), in catalog order; arrays are parallel."""

    sku: list[str]
    size: list[str]
    colour: list[str]  # one colour per style, in the brand's language
    option_names: list[tuple[str, str]]  # the brand's (colour, size) option names
    style: np.ndarray  # style index
    category: np.ndarray  # index into CATEGORIES
    brand: list[str]  # vendor name
    product_title: list[str]
    product_num: np.ndarray  # gid://shopify/Product/N
    variant_num: np.ndarray  # gid://shopify/ProductVariant/N
    gtin14: list[str]
    barcode: list[str]
    sgtin_prefix: list[str]
    price_cents: np.ndarray  # list price, tax included
    cost_cents: np.ndarray  # unit cost, tax excluded
    popularity: np.ndarray  # relative online demand
    # Sampling: skus sorted by (category, price); within a category the cumulative popularity
    # is offset by the category index so one searchsorted picks a sku in a given category.
    by_category_price: np.ndarray
    category_cdf: np.ndarray

    def __len__(self) -> int:
        return len(self.sku)

    def pick(self, category: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Sku indices in the given categories, popularity-weighted; larger u = pricier."""
        pos = np.searchsorted(self.category_cdf, category + u, side="right")
        return self.by_category_price[np.minimum(pos, len(self.sku) - 1)]


@dataclass(frozen=True)
class Campaign:
    platform: str  # google_ads | meta_ads
    id: str
    name: str
    kind: str  # search, shopping, pmax | prospecting, catalog, retargeting
    daily_budget_cents: int
    efficiency: float  # attributed orders per unit of budget share
    has_products: bool  # Shopping / catalog ads: product-level rows


@dataclass(frozen=True)
class TrafficGroup:
    """A GA4 (source, medium, campaign) row and the UTMs its orders carry."""

    source: str
    medium: str
    campaign: str  # GA4 sessionCampaignName (utm_campaign when tagged)
    utm: tuple[str, str, str | None, str | None, str | None] | None  # src, med, camp, cont, term
    order_share: float
    conversion_rate: float
    campaign_index: int  # index into World.campaigns, -1 if none


@dataclass(frozen=True)
class Store:
    number: int
    gln: str
    sgln: str


def _category_assignment(rng: np.random.Generator, skus: int) -> list[int]:
    """Style categories, drawn until the sku target is reached (sizes differ by category)."""
    weights = np.array([c.weight for c in CATEGORIES])
    weights /= weights.sum()
    cats: list[int] = []
    total = 0
    while total < skus:
        c = int(rng.choice(len(CATEGORIES), p=weights))
        cats.append(c)
        total += len(CATEGORIES[c].sizes)
    return cats


def style_colour(style: int, brand_code: str) -> str:
    """The style's colour, from its index (not the random stream: adding colours to the catalog
    must not change any other simulated number)."""
    names = (
        COLOURS_FR
        if OPTION_NAMES.get(brand_code, DEFAULT_OPTION_NAMES)[0] == "Couleur"
        else COLOURS
    )
    return names[(style * 5 + 2) % len(names)]


def build_catalog(seed: int, skus: int) -> Catalog:
    rng = generator(seed, 0, Stream.CATALOG)
    style_cats = _category_assignment(rng, skus)
    rows: dict[str, list] = {
        k: []
        for k in (
            "sku",
            "size",
            "colour",
            "option_names",
            "style",
            "category",
            "brand",
            "title",
            "price",
            "cost",
            "pop",
            "gtin",
            "sgtin",
        )
    }
    item_ref = {code: 0 for code, _ in BRANDS}
    for style, c in enumerate(style_cats):
        cat = CATEGORIES[c]
        code, vendor = BRANDS[int(rng.integers(len(BRANDS)))]
        lo, hi = cat.price_range
        price = (round(float(rng.uniform(lo, hi))) * 100) - 10  # x9.90 price points
        margin_share = float(rng.uniform(0.35, 0.5))
        style_pop = float(rng.lognormal(0.0, 0.8))
        title = (
            f"{vendor} {ADJECTIVES[int(rng.integers(len(ADJECTIVES)))]} {NOUNS[cat.product_type]}"
        )
        size_pop = np.exp(
            -0.5 * ((np.arange(len(cat.sizes)) - (len(cat.sizes) - 1) / 2) / 1.5) ** 2
        )
        for s, size in enumerate(cat.sizes):
            prefix = gs1.UPC_COMPANY_PREFIX if code == UPC_BRAND else gs1.COMPANY_PREFIX
            own_ref = OWN_ITEM_REF_START + len(rows["sku"])
            ref = f"{(item_ref[code] if code == UPC_BRAND else own_ref):05d}"
            item_ref[code] += 1
            rows["sku"].append(f"{code}-{cat.code}-{style:04d}-{size}")
            rows["size"].append(size)
            rows["colour"].append(style_colour(style, code))
            rows["option_names"].append(OPTION_NAMES.get(code, DEFAULT_OPTION_NAMES))
            rows["style"].append(style)
            rows["category"].append(c)
            rows["brand"].append(vendor)
            rows["title"].append(title)
            rows["price"].append(price)
            rows["cost"].append(round(price / (1 + VAT_RATE) * margin_share))
            rows["pop"].append(style_pop * float(size_pop[s]) + 0.05)
            rows["gtin"].append(gs1.gtin14(prefix, ref))
            rows["sgtin"].append(gs1.sgtin_prefix(prefix, ref))
    category = np.array(rows["category"])
    price = np.array(rows["price"], dtype=np.int64)
    pop = np.array(rows["pop"])
    order = np.lexsort((price, category))
    cum = np.zeros(len(order))
    for c in range(len(CATEGORIES)):
        members = order[category[order] == c]
        if len(members):
            cum[category[order] == c] = c + np.cumsum(pop[members]) / pop[members].sum()
    style = np.array(rows["style"])
    return Catalog(
        sku=rows["sku"],
        size=rows["size"],
        colour=rows["colour"],
        option_names=rows["option_names"],
        style=style,
        category=category,
        brand=rows["brand"],
        product_title=rows["title"],
        product_num=8_100_000_000_000 + style,
        variant_num=45_000_000_000_000 + np.arange(len(style)),
        gtin14=rows["gtin"],
        barcode=[gs1.barcode_from_gtin14(g) for g in rows["gtin"]],
        sgtin_prefix=rows["sgtin"],
        price_cents=price,
        cost_cents=np.array(rows["cost"], dtype=np.int64),
        popularity=pop,
        by_category_price=order,
        category_cdf=cum,
    )


GOOGLE_KINDS = (
    ("search", "Search | Brand"),
    ("shopping", "Shopping | All products"),
    ("search", "Search | Generic"),
    ("pmax", "PMax | Best sellers"),
    ("shopping", "Shopping | New in"),
    ("search", "Search | Competitors"),
)
META_KINDS = (
    ("catalog", "DPA | Catalog retargeting"),
    ("prospecting", "Prospecting | Broad"),
    ("retargeting", "Retargeting | Visitors 30d"),
    ("catalog", "Advantage+ Catalog"),
)


def build_campaigns(seed: int, google: int, meta: int, orders_per_day: float) -> list[Campaign]:
    """Campaigns with budgets scaled to the shop's size; one Meta prospecting line loses money."""
    rng = generator(seed, 0, Stream.CAMPAIGNS)
    budget_scale = orders_per_day / 150.0
    campaigns = []
    for i in range(google):
        kind, name = GOOGLE_KINDS[i % len(GOOGLE_KINDS)]
        campaigns.append(
            Campaign(
                platform="google_ads",
                id=str(20_871_000_000 + int(rng.integers(1_000_000)) * 10 + i),
                name=f"FR | {name}"
                + (f" {i // len(GOOGLE_KINDS) + 1}" if i >= len(GOOGLE_KINDS) else ""),
                kind=kind,
                daily_budget_cents=int(rng.uniform(80, 260) * 100 * budget_scale),
                efficiency=float(rng.uniform(0.6, 1.4)) * (2.0 if name.endswith("Brand") else 1.0),
                has_products=kind in ("shopping", "pmax"),
            )
        )
    for i in range(meta):
        kind, name = META_KINDS[i % len(META_KINDS)]
        campaigns.append(
            Campaign(
                platform="meta_ads",
                id=str(120_210_000_000_000_000 + int(rng.integers(1_000_000_000)) * 10 + i),
                name=name + (f" {i // len(META_KINDS) + 1}" if i >= len(META_KINDS) else ""),
                kind=kind,
                daily_budget_cents=int(rng.uniform(80, 220) * 100 * budget_scale),
                efficiency=float(rng.uniform(0.7, 1.3)) * (0.25 if kind == "prospecting" else 1.0),
                has_products=kind == "catalog",
            )
        )
    return campaigns


def build_traffic(campaigns: list[Campaign]) -> list[TrafficGroup]:
    """Traffic sources; paid shares split by campaign budget x efficiency."""
    groups = [
        TrafficGroup("(direct)", "(none)", "(direct)", None, 0.24, 0.034, -1),
        TrafficGroup(
            "google",
            "organic",
            "(organic)",
            ("google", "organic", None, None, None),
            0.17,
            0.026,
            -1,
        ),
        TrafficGroup(
            "bing", "organic", "(organic)", ("bing", "organic", None, None, None), 0.02, 0.024, -1
        ),
        TrafficGroup(
            "newsletter",
            "email",
            "newsletter-weekly",
            ("newsletter", "email", "newsletter-weekly", "hero-banner", None),
            0.11,
            0.045,
            -1,
        ),
        TrafficGroup(
            "awin",
            "affiliate",
            "awin-partners",
            ("awin", "affiliate", "awin-partners", None, None),
            0.06,
            0.03,
            -1,
        ),
        TrafficGroup(
            "instagram.com",
            "referral",
            "(referral)",
            ("instagram.com", "referral", None, None, None),
            0.02,
            0.012,
            -1,
        ),
    ]
    paid_share = {"google_ads": 0.23, "meta_ads": 0.15}
    for platform, share in paid_share.items():
        members = [(i, c) for i, c in enumerate(campaigns) if c.platform == platform]
        total = sum(c.daily_budget_cents * c.efficiency for _, c in members) or 1.0
        for i, c in members:
            w = share * c.daily_budget_cents * c.efficiency / total
            if platform == "google_ads":
                term = "robe lin" if c.kind == "search" else None
                utm = ("google", "cpc", c.id, None, term)
                groups.append(TrafficGroup("google", "cpc", c.id, utm, w, 0.03, i))
            else:
                for src, part in (("facebook", 0.6), ("instagram", 0.4)):
                    utm = (src, "paid_social", c.id, f"ad-{c.id[-4:]}", None)
                    groups.append(TrafficGroup(src, "paid_social", c.id, utm, w * part, 0.016, i))
    return groups


def build_stores(count: int) -> list[Store]:
    """Stores 1..8 are the seed's (same GLN formula); larger scales continue the numbering."""
    return [Store(n, gs1.gln(n), gs1.sgln(n)) for n in range(1, count + 1)]


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


WEEKDAY_FACTOR = (0.95, 0.92, 0.96, 1.0, 1.04, 1.05, 1.12)


def day_profile(d: date) -> tuple[float, str]:
    """(demand factor, promotion regime) of a day: weekly cycle, sales, Black Friday, December.

    Regimes: "sale" (French winter sales from the 2nd Wednesday of January and summer sales from
    the last Wednesday of June, four weeks each), "black_friday" (Thursday to Cyber Monday),
    "none".
    """
    factor = WEEKDAY_FACTOR[d.weekday()]
    regime = "none"
    winter = _nth_weekday(d.year, 1, 2, 2)
    summer = _last_weekday(d.year, 6, 2)
    black_friday = _nth_weekday(d.year, 11, 3, 4) + timedelta(days=1)
    for start in (winter, summer):
        if start <= d < start + timedelta(days=28):
            regime = "sale"
            factor *= 1.8 if (d - start).days < 7 else 1.3
    if black_friday - timedelta(days=1) <= d <= black_friday + timedelta(days=3):
        regime = "black_friday"
        factor *= {0: 3.2, 1: 2.2, 2: 1.8, 3: 2.4}.get((d - black_friday).days, 1.4)
    if d.month == 12:
        factor *= 0.6 if d.day in (24, 25, 26) else (1.5 if d.day <= 20 else 1.0)
    if d.month == 8:
        factor *= 0.85
    return factor, regime


@dataclass(frozen=True)
class Calendar:
    """Per-day tables from history_start: order counts (and their cumulative offsets), UTC offsets.

    Counts are drawn once for the whole calendar from one seeded stream, so order numbers are
    sequential yet any day's numbers are known without generating earlier days.
    """

    start_ordinal: int
    expected: np.ndarray  # expected orders per day
    counts: np.ndarray
    first_number: np.ndarray  # order number of the day's first order
    regime: list[str]
    tz: ZoneInfo

    def index(self, d: date) -> int:
        i = d.toordinal() - self.start_ordinal
        if not 0 <= i < len(self.counts):
            raise ValueError(f"{d} is outside the simulated calendar")
        return i

    def day_of_number(self, number: int) -> int:
        """Calendar index of the day whose orders include this order number."""
        return int(np.searchsorted(self.first_number, number, side="right")) - 1

    def midnight_utc(self, d: date) -> int:
        """Epoch seconds of local midnight starting day d."""
        return int(datetime(d.year, d.month, d.day, tzinfo=self.tz).timestamp())

    def local_to_epoch(self, d: date, seconds: np.ndarray) -> np.ndarray:
        """Epoch seconds of local times of day d (DST days: the offset changes at 03:00)."""
        start = self.midnight_utc(d)
        nxt = d + timedelta(days=1)
        end = self.midnight_utc(nxt)
        off_start = int(
            datetime(d.year, d.month, d.day, tzinfo=self.tz).utcoffset().total_seconds()
        )
        off_end = int(
            datetime(nxt.year, nxt.month, nxt.day, tzinfo=self.tz).utcoffset().total_seconds()
        )
        if off_start == off_end or end - start == 86400:
            return start + seconds
        return np.where(seconds < 3 * 3600, start + seconds, start + seconds + off_start - off_end)

    def local_date(self, epoch: float) -> date:
        return datetime.fromtimestamp(epoch, UTC).astimezone(self.tz).date()


def build_calendar(config: SimulatorConfig) -> Calendar:
    start = config.history_start
    days = [start + timedelta(days=i) for i in range(366 * CALENDAR_YEARS)]
    profiles = [day_profile(d) for d in days]
    growth = 1.0 + 0.15 * np.arange(len(days)) / 365.0  # the shop grows ~15 % a year
    ramp = np.minimum(1.0, 0.5 + np.arange(len(days)) / 120.0)  # launch months are quieter
    expected = config.sizes.orders_per_day * np.array([p[0] for p in profiles]) * growth * ramp
    expected /= 1.0 + 0.15 * 1.5  # keep the long-run average near orders_per_day
    counts = generator(config.seed, 0, Stream.COUNTS).poisson(expected).astype(np.int64)
    first = 1001 + np.concatenate(([0], np.cumsum(counts)[:-1]))
    return Calendar(
        start_ordinal=start.toordinal(),
        expected=expected,
        counts=counts,
        first_number=first,
        regime=[p[1] for p in profiles],
        tz=ZoneInfo(config.timezone),
    )


@dataclass(frozen=True)
class World:
    config: SimulatorConfig
    catalog: Catalog
    campaigns: list[Campaign]
    traffic: list[TrafficGroup]
    stores: list[Store]
    calendar: Calendar


def build_world(config: SimulatorConfig) -> World:
    sizes = config.sizes
    campaigns = build_campaigns(
        config.seed, sizes.google_campaigns, sizes.meta_campaigns, sizes.orders_per_day
    )
    return World(
        config=config,
        catalog=build_catalog(config.seed, sizes.skus),
        campaigns=campaigns,
        traffic=build_traffic(campaigns),
        stores=build_stores(sizes.stores),
        calendar=build_calendar(config),
    )
