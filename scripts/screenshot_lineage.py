"""Screenshot the asset lineage graph of the Dagster UI into docs/asset-graph.png.

Starts a throwaway webserver on loopback (orchestration.devserver), opens the global asset graph
in Debian's headless Chromium and stops the server. No browser download needed (Playwright cannot
fetch browsers here); set CHROMIUM to use another binary.

    .venv/bin/python scripts/screenshot_lineage.py [--out docs/asset-graph.png]
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

from orchestration.devserver import fetch_asset_graph, running_webserver  # noqa: E402

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
]


def chromium_binary() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return str(shutil.which(candidate))
    raise SystemExit("chromium not found: apt-get install -y chromium (or set CHROMIUM)")


def screenshot(url: str, out: Path, width: int, height: int, budget_ms: int) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        subprocess.run(
            [
                chromium_binary(),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--virtual-time-budget={budget_ms}",
                f"--screenshot={out}",
                url,
            ],
            check=True,
            capture_output=True,
            timeout=240,
            start_new_session=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "asset-graph.png")
    parser.add_argument("--path", default="/asset-groups", help="UI page (default: global graph)")
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--budget-ms", type=int, default=30000, help="virtual time to render")
    args = parser.parse_args()
    with running_webserver() as url:
        graph = fetch_asset_graph(url)  # also warms the code location before the browser loads
        print(f"{len(graph)} assets served at {url}")
        screenshot(url + args.path, args.out, args.width, args.height, args.budget_ms)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
