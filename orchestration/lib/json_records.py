"""Small JSON records kept beside the warehouse (the build's inputs, the landing hashes, the
suites' outcomes): written atomically, read as absent when missing or unreadable.

Atomic because a concurrent run reads them while another writes: it sees the old record or the
new one. Unreadable means absent because every such record is an optimisation: without it the
run does the work again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_record(path: Path, data: Any) -> None:
    """Replace the record at `path` in one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(data, sort_keys=True))
    os.replace(partial, path)


def read_record(path: Path) -> Any:
    """The record at `path`; None when there is none or it cannot be read."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
