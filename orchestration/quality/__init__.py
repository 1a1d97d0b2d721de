"""Quality gates: Great Expectations suites (expectations/*.json) as blocking Dagster checks.

The names below are imported on first use (PEP 562): the suite process
(`python -m orchestration.quality.isolated`) imports this package too, and must not pay for
Dagster, which `checks` imports (the process starts once per check step).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SuiteFileError": "orchestration.quality.suites",
    "build_quality_checks": "orchestration.quality.checks",
    "build_step_checks": "orchestration.quality.checks",
    "load_suite": "orchestration.quality.suites",
    "load_suites": "orchestration.quality.suites",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
