"""Extract runs in live mode against a loopback server standing in for a vendor (pytest-httpserver).

The contract tests serve what a vendor publishes, not the simulator: every source URL points at
the loopback server, with throwaway credentials, exactly as a live deployment is configured.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.lib.config import PipelineConfig, resolve_config
from orchestration.lib.extract import ExtractRun
from orchestration.lib.http import HttpSettings
from orchestration.lib.settings import SOURCE_ENV
from tests.sources.conftest import EXTRACTED_AT


def live_config(base_url: str, warehouse: Path) -> PipelineConfig:
    env = {"WAREHOUSE_DIR": str(warehouse)}
    for spec in SOURCE_ENV.values():
        env[spec.url_var] = base_url
        env.update({var: f"test-{var.lower()}" for var in spec.credential_vars})
    return resolve_config(env)


def live_run(source: str, base_url: str, warehouse: Path, http: HttpSettings) -> ExtractRun:
    """A live-mode ExtractRun with the tests' fixed extraction time (re-runs compare bytes)."""
    return ExtractRun(source, live_config(base_url, warehouse), http, extracted_at=EXTRACTED_AT)
