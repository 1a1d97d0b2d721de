"""Give freed memory back to the system before the run's memory-heavy parts: a child process
beside this one (dbt, the suite process) or the publication's DuckDB session.

Why: with the in-process executor one Python process lives through the whole run, and the memory
its steps free stays in its resident set: Arrow keeps freed buffers in its own allocator
(mimalloc) and glibc keeps freed arenas. After a day's extracts at the large profile that was
about 140 MB of a 506 MB process (bench/README.md, tenth round), sitting beside the suite process
(Great Expectations) and dbt's process, the peaks of a daily run, and it took the run over
1 GiB. Returning it costs a few milliseconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

import pyarrow as pa


def release_freed_memory() -> None:
    """Collect garbage, then let Arrow's pool and glibc's malloc return what is free."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        libc = ctypes.CDLL(libc_name)
        if hasattr(libc, "malloc_trim"):  # glibc only (not musl, not macOS)
            libc.malloc_trim(0)
