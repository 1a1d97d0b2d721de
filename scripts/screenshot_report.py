"""Screenshot the daily KPI report into docs/kpi-report.png, in headless Chromium, OFFLINE.

The report is rendered with networking cut off (a dead proxy and a resolver that resolves
nothing), so the picture also proves the page needs no network. Source, first found of:
  --report FILE           an existing report HTML
  --warehouse DIR         build the report from DIR/published/marts.duckdb (into DIR)
  WAREHOUSE_DIR           same, when its published/marts.duckdb exists
  otherwise               the test fixture (tests/reports/published_fixture.py), in a temp dir

    .venv/bin/python scripts/screenshot_report.py [--out docs/kpi-report.png]

Debian's Chromium (apt-get install -y chromium); set CHROMIUM to use another binary.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # No network at all: any request would go to a closed port or fail to resolve.
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def chromium_binary() -> str | None:
    """The Chromium to use, or None when none is installed (callers decide if that is fatal)."""
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return str(shutil.which(candidate))
    return None


def run_chromium(page: Path, *args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    """Open a local file in a fresh, offline headless profile with extra `args`."""
    binary = chromium_binary()
    if binary is None:
        raise SystemExit("chromium not found: apt-get install -y chromium (or set CHROMIUM)")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,
        )


def screenshot(page: Path, out: Path, width: int = 1400, height: int = 2400) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    run_chromium(
        page,
        f"--window-size={width},{height}",
        "--virtual-time-budget=15000",
        f"--screenshot={out.resolve()}",
    )
    return out


def dump_dom(page: Path) -> str:
    """The DOM after scripts ran: tells whether the inlined plotly.js drew the charts."""
    return run_chromium(page, "--virtual-time-budget=15000", "--dump-dom").stdout


def build_report(warehouse: Path | None, scratch: Path) -> Path:
    from orchestration.reports.kpi_report import build_kpi_report

    if warehouse is None:
        from tests.reports.published_fixture import write_published

        warehouse = scratch / "warehouse"
        write_published(warehouse)
        print(f"no warehouse given: built the test fixture in {warehouse}")
    return build_kpi_report(warehouse).latest_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "kpi-report.png")
    parser.add_argument("--report", type=Path, help="an existing report HTML file")
    parser.add_argument("--warehouse", type=Path, help="a WAREHOUSE_DIR with a publication")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=2400)
    args = parser.parse_args()
    env_dir = Path(os.environ["WAREHOUSE_DIR"]) if os.environ.get("WAREHOUSE_DIR") else None
    if args.warehouse is None and env_dir and (env_dir / "published" / "marts.duckdb").exists():
        args.warehouse = env_dir
    with tempfile.TemporaryDirectory(prefix="kpi-report-") as scratch:
        page = args.report or build_report(args.warehouse, Path(scratch))
        screenshot(page, args.out, args.width, args.height)
    print(f"wrote {args.out} from {page}")


if __name__ == "__main__":
    main()
