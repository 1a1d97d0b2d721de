"""Crash-safe file replacement: what makes a publication all-or-nothing on local disk.

POSIX `rename` (Python's `os.replace`) within one directory is atomic: a reader opening the path
sees the old file or the new one, never a half-written file. A reader that already holds the old
file keeps reading the old inode until it closes it, so DuckDB readers are never interrupted.
The data is fsynced before the rename and the directory after it, so a power cut cannot leave a
renamed but empty file.
"""

from __future__ import annotations

import os
from pathlib import Path


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
