"""The vendors' artefacts the contract tests use as their oracle, fetched once per session.

Shopify's schema comes from a pinned npm tarball (scripts/vendor_artefacts.py, see README.md);
the Google and Meta client libraries are test dependencies. A missing artefact fails the tests:
they never skip.
"""

from __future__ import annotations

import fcntl
import gzip
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import graphql
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOPIFY_SCHEMA_VERSION = "2026-10"


def _vendor_script() -> ModuleType:
    """scripts/ is not a package: load the fetch script by path."""
    spec = importlib.util.spec_from_file_location(
        "vendor_artefacts", ROOT / "scripts" / "vendor_artefacts.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def vendor_dir() -> Path:
    """The fetched artefacts; a file lock keeps parallel test workers from fetching twice."""
    vendor = _vendor_script()
    vendor.DEFAULT_DEST.mkdir(parents=True, exist_ok=True)
    with (vendor.DEFAULT_DEST / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        vendor.fetch_all()
    return vendor.DEFAULT_DEST


@pytest.fixture(scope="session")
def shopify_schema(vendor_dir: Path) -> graphql.GraphQLSchema:
    """Shopify's Admin GraphQL schema of the version the extractor defaults to."""
    path = vendor_dir / "shopify-admin-graphql" / "dist" / "data"
    with gzip.open(path / f"admin_{SHOPIFY_SCHEMA_VERSION}.json.gz") as handle:
        introspection = json.load(handle)
    return graphql.build_client_schema(introspection["data"])
