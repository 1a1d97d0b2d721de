"""The landing zone's column vocabulary: the types, bookkeeping columns and rejects every source
shares. Each source declares its own datasets' schemas with `landing_schema` in its
`orchestration/sources/<source>/landing.py`; `orchestration.sources.LANDING_DATASETS` gathers
them for the readers (dbt sources, the quality suites, the Postgres loader). Layout on disk:

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


def landing_schema(*fields: pa.Field) -> pa.Schema:
    """A landed dataset's schema: its own columns, then the bookkeeping columns."""
    return pa.schema([*fields, *BOOKKEEPING_FIELDS])


#: The metrics of a day of ad spend, the same for every ad platform so the marts can union them.
AD_METRICS = (
    pa.field("impressions", pa.int64()),
    pa.field("clicks", pa.int64()),
    pa.field("spend", MONEY, nullable=False),  # shop currency (Google: costMicros / 1e6)
    pa.field("conversions", pa.float64()),
    pa.field("conversions_value", MONEY),
)

REJECTS = landing_schema(
    pa.field("source", pa.string(), nullable=False),
    pa.field("dataset", pa.string(), nullable=False),
    pa.field("record_id", pa.string()),  # null when the id itself is what is missing
    pa.field("field", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("payload", pa.string(), nullable=False),
)

REJECTS_DATASET = "_rejects"
