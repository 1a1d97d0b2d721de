"""Give memory a step freed back to the operating system (a daily run stays under 1 GiB).

The Dagster run process lives through every step of a run (in-process executor). What a step
frees stays in the allocators' caches: glibc's heap (Python objects, pandas), and pyarrow's
memory pool (mimalloc: Parquet pages of the extracts). The processes a step starts next (dbt and
its DuckDB) would then run beside that dead weight.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import sys


def release_freed_memory() -> None:
    """Collect garbage, then return the allocators' free pages to the OS (best effort)."""
    gc.collect()
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc (musl, macOS): no trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)
