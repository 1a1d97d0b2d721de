"""Faults on demand: request-level (rate limits, 5xx, delays) and record-level (invalid records,
duplicates, unknown fields). Deterministic, so a test can predict exactly what it will see."""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from simulator.config import FaultConfig
from simulator.rng import Stream, text_key, uniform

Record = dict[str, Any]
Corruption = Callable[[Record], None]
EXTRA_FIELD = "x_simulator_unknown_field"


class Faults:
    """The current FaultConfig (replaceable at runtime) and per-source request counters."""

    def __init__(self, seed: int, config: FaultConfig) -> None:
        self.seed = seed
        self.config = config
        self._counts: defaultdict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def replace(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._counts.clear()

    def next_request(self, source: str) -> str | None:
        """Count a request; "rate_limit", "server_error" or None for the fault it must show."""
        cfg = self.config
        if not cfg.applies_to(source):
            return None
        with self._lock:
            self._counts[source] += 1
            n = self._counts[source]
        if cfg.rate_limit_every and n % cfg.rate_limit_every == 0:
            return "rate_limit"
        if cfg.server_error_every and n % cfg.server_error_every == 0:
            return "server_error"
        return None

    def request_count(self, source: str) -> int:
        return self._counts[source]

    def affects_records(self, source: str) -> bool:
        cfg = self.config
        active = cfg.malformed_rate or cfg.duplicate_rate or cfg.extra_fields
        return bool(active) and cfg.applies_to(source)

    def apply(
        self,
        source: str,
        records: list[Record],
        key: Callable[[Record], str],
        corruptions: Sequence[Corruption],
    ) -> list[Record]:
        """Corrupt, duplicate and decorate records, each decision hashed from the record's key."""
        cfg = self.config
        if not self.affects_records(source):
            return records
        out: list[Record] = []
        for record in records:
            k = text_key(f"{source}:{key(record)}")
            if float(uniform(self.seed, Stream.FAULTS, k, 1)) < cfg.malformed_rate:
                pick = int(uniform(self.seed, Stream.FAULTS, k, 2) * len(corruptions))
                record = copy.deepcopy(record)  # records may be cached: never corrupt the cache
                corruptions[pick](record)
            if cfg.extra_fields:
                record = {
                    **record,
                    EXTRA_FIELD: {"note": "not in the vendor's schema", "n": k % 97},
                }
            out.append(record)
            if float(uniform(self.seed, Stream.FAULTS, k, 3)) < cfg.duplicate_rate:
                out.append(record)
        return out
