"""The benchmarks' landing command (`bench/pipeline_benchmark.py land`), which also runs the
extraction benchmark's child (`make bench`): each extract lands its day through the simulator."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bench.pipeline_benchmark import land_chunks

ROOT = Path(__file__).resolve().parents[1]


def test_chunks_cover_the_range_once_in_order() -> None:
    chunks = land_chunks(date(2026, 1, 30), date(2026, 3, 2), 30)
    assert chunks == [
        (date(2026, 1, 30), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 2)),
    ]


@pytest.mark.slow
def test_land_extracts_every_source_of_a_day(tmp_path: Path) -> None:
    command = [sys.executable, str(ROOT / "bench" / "pipeline_benchmark.py"), "land"]
    command += ["--warehouse", str(tmp_path), "--start", "2026-11-20", "--end", "2026-11-20"]
    command += ["--scale", "demo", "--streams", "1", "--simulator-now", "2026-11-22T06:00:00Z"]
    ran = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    summary = json.loads(ran.stdout)
    assert summary["chunks"] == 1
    assert set(summary["records"]) == {
        "extract_catalog",
        "extract_orders",
        "extract_google_ads",
        "extract_meta_ads",
        "extract_rfid_counts",
        "extract_tickets",
        "extract_sessions",
    }
    assert all(count > 0 for count in summary["records"].values()), summary["records"]
    sources = {path.parent.parent.parent.name for path in tmp_path.glob("landing/*/*/date=*/*")}
    assert sources == {"shop", "google_ads", "meta_ads", "rfid", "zendesk", "ga4"}
