"""The extract framework: what every extract asset shares, so a source module holds only what
its API needs.

An extract is a function `(run, days) -> extra metadata` that lands each day of a partition range
through `run.day(...)`; `extract_asset` turns it into a partitioned Dagster asset with the common
policies, and reports rows, rejects, requests and timings without ever touching a token.
"""

# No `from __future__ import annotations`: Dagster reads the context/resource annotations.
import errno
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import dagster as dg

from orchestration.lib.config import PipelineConfig, PipelineResource
from orchestration.lib.http import ApiClient, ApiError, Auth, GraphQLPacing, HttpSettings, redact
from orchestration.lib.landing import (
    DEFAULT_CHUNK_ROWS,
    Bookkeeping,
    Dataset,
    DayLanding,
    LandingTotals,
)
from orchestration.lib.memory import release_freed_memory
from orchestration.lib.partitions import daily_partitions, partition_days
from orchestration.lib.settings import SourceSettings


@dataclass
class ExtractRun:
    """One asset run of one source: its settings, clients, and landing totals."""

    source: str
    config: PipelineConfig
    http: HttpSettings
    extracted_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    totals: LandingTotals = field(default_factory=LandingTotals)
    clients: list[ApiClient] = field(default_factory=list)

    @property
    def settings(self) -> SourceSettings:
        return self.config.sources[self.source]

    def client(
        self,
        auth: Auth,
        headers: Mapping[str, str] | None = None,
        pacing: GraphQLPacing | None = None,
    ) -> ApiClient:
        client = ApiClient(self.source, self.settings.url, auth, self.http, headers, pacing)
        self.clients.append(client)
        return client

    def day(self, day: date, datasets: Mapping[str, Dataset]) -> DayLanding:
        """The landing of one day: commit all its datasets on success, none on failure."""
        bookkeeping = Bookkeeping(day, self.extracted_at, self.config.mode)
        return DayLanding(
            self.config.warehouse_dir,
            self.source,
            bookkeeping,
            datasets,
            totals=self.totals,
            chunk_rows=self.chunk_rows,
        )

    def close(self) -> None:
        for client in self.clients:
            client.close()

    def secrets(self) -> frozenset[str]:
        """Every form of every credential this run's clients were given."""
        return frozenset().union(*(client.secrets for client in self.clients))

    def metadata(self) -> dict[str, Any]:
        stats = {
            "requests": 0,
            "pages": 0,
            "retries": 0,
            "throttled": 0,
            "throttle_wait_seconds": 0.0,
            "query_cost_points": 0.0,
        }
        for client in self.clients:
            for key, value in client.stats.as_metadata().items():
                stats[key] += value
        return {**self.totals.as_metadata(), **stats, "source_mode": self.config.mode}


#: Lands every day of `days`; returns extra metadata particular to the source.
Extract = Callable[[ExtractRun, list[date]], Mapping[str, Any] | None]


def _metadata_value(value: Any) -> Any:
    return dg.MetadataValue.json(value) if isinstance(value, dict | list) else value


#: Errors of the warehouse's file system that no retry heals: it is read-only or not ours.
UNWRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
#: How the extract steps retry what may heal: after 5 s, then 15 s. With HttpSettings' 45 s
#: budget per call, a source that stops answering fails its step in 3 x 45 + 5 + 15 = 155 s at
#: most (docs/operations.md has the arithmetic).
EXTRACT_RETRY_POLICY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL)


def retriable(error: Exception) -> bool:
    """Whether the step's retry policy may heal `error`: a 5xx, a 429, a lost connection, an I/O
    hiccup. A configuration, permission or shape error, a 4xx, or a call that spent its whole
    time budget fails the step at once: retrying would repeat it minutes later."""
    if isinstance(error, ApiError):
        return error.retriable
    if isinstance(error, OSError):
        return error.errno not in UNWRITABLE
    return False


def permanent_failure(source: str, error: Exception, secrets: frozenset[str]) -> dg.Failure:
    """A Failure the retry policy skips, its text (and traceback) redacted of the credentials."""
    if isinstance(error, ApiError):
        return dg.Failure(description=str(error), allow_retries=False)
    description = redact(f"{source}: {type(error).__name__}: {error}", secrets)
    if isinstance(error, OSError) and error.errno in UNWRITABLE:
        description += " (the warehouse is read-only or not writable by this process)"
    trace = redact("".join(traceback.format_exception(error)), secrets)
    return dg.Failure(
        description=description,
        metadata={"traceback": dg.MetadataValue.text(trace)},
        allow_retries=False,
    )


def extract_asset(
    name: str,
    *,
    source: str,
    group: str,
    description: str,
    deps: Iterable[str | dg.AssetKey] = (),
) -> Callable[[Extract], dg.AssetsDefinition]:
    """Decorator: an extract function -> the `landing/{name}` asset, policies included.

    Only what may heal is retried (see `retriable`): a bad token, a missing variable or a
    read-only warehouse fails the step at once, with a description that names the source.
    """

    def decorate(extract: Extract) -> dg.AssetsDefinition:
        @dg.asset(
            key=["landing", name],
            group_name=group,
            description=description,
            deps=list(deps),
            partitions_def=daily_partitions,
            backfill_policy=dg.BackfillPolicy.single_run(),
            retry_policy=EXTRACT_RETRY_POLICY,
            kinds={"python", "parquet"},
            owners=["team:data-engineering"],
            pool="landing",
        )
        def _extract(
            context: dg.AssetExecutionContext, pipeline: PipelineResource
        ) -> dg.MaterializeResult:
            key_range = context.partition_key_range
            days = partition_days(key_range.start, key_range.end)
            started = time.monotonic()
            run: ExtractRun | None = None
            try:
                run = ExtractRun(
                    source,
                    pipeline.settings(),
                    pipeline.http_settings(source),
                    chunk_rows=pipeline.chunk_rows,
                )
                extra = extract(run, days) or {}
            except Exception as error:
                if retriable(error):
                    raise
                secrets = run.secrets() if run else frozenset()
                raise permanent_failure(source, error, secrets) from None
            finally:
                if run:
                    run.close()
                release_freed_memory()
            metadata = {
                **run.metadata(),
                **extra,
                "partition_range": f"{key_range.start}...{key_range.end}",
                "days": len(days),
                "duration_seconds": round(time.monotonic() - started, 3),
            }
            context.log.info(
                f"{name}: {metadata['rows_total']} rows, {metadata['rejects_total']} rejects, "
                f"{metadata['requests']} requests over {len(days)} day(s)"
            )
            return dg.MaterializeResult(
                metadata={k: _metadata_value(v) for k, v in metadata.items()}
            )

        return _extract

    return decorate
