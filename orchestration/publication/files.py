"""Crash-safe file replacement: what makes a publication all-or-nothing on local disk.

POSIX `rename` (Python's `os.replace`) within one directory is atomic: a reader opening the path
sees the old file or the new one, never a half-written file. A reader that already holds the old
file keeps reading the old inode until it closes it, so DuckDB readers are never interrupted.
The data is fsynced before the rename and the directory after it, so a power cut cannot leave a
renamed but empty file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

#: Test-only: when set, the publisher creates this file and waits just before replacing anything,
#: so a test can kill the process between "new file written" and "old file replaced".
PAUSE_ENV = "PUBLICATION_TEST_PAUSE_FILE"
_PAUSE_SECONDS = 120


def fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_replace(source: Path, target: Path) -> None:
    """Move a fully written, fsynced `source` over `target` (same directory) atomically."""
    fsync_file(source)
    os.replace(source, target)
    fsync_dir(target.parent)


def pause_point_for_tests() -> None:
    """Signal and wait when the test-only pause is requested; a no-op otherwise."""
    signal_file = os.environ.get(PAUSE_ENV)
    if not signal_file:
        return
    Path(signal_file).write_text(str(os.getpid()))
    time.sleep(_PAUSE_SECONDS)
