"""Randomness that depends only on (seed, keys), never on what was generated before.

Two tools: `generator` gives a numpy Generator for one (seed, day, stream), for the bulk of a
day; `uniform` hashes integer keys to [0, 1) for closed forms that must be evaluated for any
entity on any day in O(1) (stock curves, returning customers, record faults).
"""

from __future__ import annotations

import zlib
from enum import IntEnum

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


class Stream(IntEnum):
    """One independent random stream per concern, so adding draws to one never shifts another."""

    COUNTS = 1
    ORDERS = 2
    LINES = 3
    REFUNDS = 4
    CUSTOMER_NEW = 5
    CUSTOMER_PICK = 6
    CUSTOMER_CATEGORY = 7
    TICKETS = 8
    ADS = 9
    SESSIONS = 10
    WAREHOUSE = 11
    STORE = 12
    STORE_DAY = 13
    CATALOG = 14
    FAULTS = 15
    CAMPAIGNS = 16


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a cheap, well-spread 64-bit bijection."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def hash64(*keys: np.ndarray | int) -> np.ndarray:
    """Hash integer keys (arrays broadcast together) to uint64."""
    arrays = np.broadcast_arrays(*(np.asarray(k, dtype=np.int64) for k in keys))
    h = np.full(arrays[0].shape, _GOLDEN, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for a in arrays:
            h = _mix(h ^ (a.astype(np.uint64) + _GOLDEN))
    return h


def uniform(*keys: np.ndarray | int) -> np.ndarray:
    """Hash integer keys to floats in [0, 1)."""
    return (hash64(*keys) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def text_key(text: str) -> int:
    """A stable integer for a string key (CRC32; Python's hash() is salted per process)."""
    return zlib.crc32(text.encode())


def generator(seed: int, day_ordinal: int, stream: Stream) -> np.random.Generator:
    """The Generator of one (seed, day, stream): any day is reproducible on its own."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, day_ordinal, stream])))
