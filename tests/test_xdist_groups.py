"""`make test` runs the suite on two pytest-xdist workers (--dist loadgroup): the tests of one
`xdist_group` must run on one worker, which then builds their shared module fixture once.

A real pytest run in a subprocess, on a throwaway suite with this repository's tests/conftest.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
GROUPED_TESTS = """
import pytest

pytestmark = pytest.mark.xdist_group("shared_build")


@pytest.mark.parametrize("n", range(8))
def test_grouped(n):
    pass
"""
OTHER_TESTS = """
import pytest


@pytest.mark.parametrize("n", range(8))
def test_other(n):
    pass
"""


def test_a_group_runs_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F403\n")
    (tmp_path / "test_grouped.py").write_text(GROUPED_TESTS)
    (tmp_path / "test_other.py").write_text(OTHER_TESTS)
    xdist = ["-n", "2", "--dist", "loadgroup", "--no-loadscope-reorder"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *xdist, "-v", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ran = re.findall(r"\[(gw\d)\] .*PASSED \S*::(test_\w+)\[", result.stdout)
    assert len(ran) == 16, result.stdout[-3000:]
    grouped_on = {worker for worker, test in ran if test == "test_grouped"}
    assert len(grouped_on) == 1, ran
    assert {worker for worker, _ in ran} == {"gw0", "gw1"}  # the other tests still spread
