"""Publication: the audited build marts -> published DuckDB, Parquet and PostgreSQL, atomically."""

from orchestration.publication.assets import PublicationConfig, build_published_marts_asset
from orchestration.publication.contract import Stamp
from orchestration.publication.publish import PostgresTarget, PublicationResult, publish_marts

__all__ = [
    "PostgresTarget",
    "PublicationConfig",
    "PublicationResult",
    "Stamp",
    "build_published_marts_asset",
    "publish_marts",
]
