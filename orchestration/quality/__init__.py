"""Quality gates: Great Expectations suites (expectations/*.json) as blocking Dagster checks."""

from orchestration.quality.checks import build_quality_checks, build_suite_check
from orchestration.quality.suites import SuiteFileError, load_suite, load_suites

__all__ = [
    "SuiteFileError",
    "build_quality_checks",
    "build_suite_check",
    "load_suite",
    "load_suites",
]
