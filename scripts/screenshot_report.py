"""Screenshot the daily KPI report and a printed picking sheet, in headless Chromium, OFFLINE.

Writes docs/kpi-report.png (the whole report), docs/kpi-scorecard.png (its header and scorecard)
and docs/picking-sheet.png (page 1 of the picking sheets printed to PDF: the print stylesheet,
A4, one page per store; the script fails when the PDF does not have one page per store).
Pages are rendered with networking cut off (a dead proxy and a resolver that resolves
nothing), so the pictures also prove the pages need no network. Source, first found of:
  --report FILE           an existing report HTML (then no picking sheet)
  --warehouse DIR         build the report and the sheets from DIR/published/marts.duckdb
  WAREHOUSE_DIR           same, when its published/marts.duckdb exists
  otherwise               the test fixture (tests/reports/published_fixture.py), in a temp dir

    .venv/bin/python scripts/screenshot_report.py [--out docs/kpi-report.png]

Debian's Chromium (apt-get install -y chromium); set CHROMIUM to use another binary. The PDF
page is rasterised with pypdfium2 (a dev dependency).
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

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


def print_to_pdf(page: Path, out: Path) -> Path:
    """The page as Chromium prints it: print stylesheet, @page size and page breaks applied."""
    run_chromium(
        page,
        "--virtual-time-budget=15000",
        "--no-pdf-header-footer",
        f"--print-to-pdf={out.resolve()}",
    )
    return out


def write_png(pixels: np.ndarray, out: Path) -> Path:
    """An RGB(A) array as a PNG file (zlib only: no imaging library needed for one picture)."""
    height, width, channels = pixels.shape
    rows = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, {3: 2, 4: 6}[channels], 0, 0, 0)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )
    return out


def first_pdf_page_png(pdf: Path, out: Path, dpi: int = 110) -> tuple[Path, int]:
    """Page 1 of `pdf` as a PNG, and the PDF's page count."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        bitmap = document[0].render(scale=dpi / 72, rev_byteorder=True)
        return write_png(bitmap.to_numpy(), out), len(document)
    finally:
        document.close()


def picking_sheet_png(warehouse: Path, out: Path, scratch: Path) -> Path:
    """Print the picking sheets to PDF, check one A4 page per store, keep page 1 as a PNG."""
    from orchestration.reports.picking_sheets import build_picking_sheets

    sheets = build_picking_sheets(warehouse)
    pdf = print_to_pdf(sheets.html_path, scratch / "picking.pdf")
    _, pages = first_pdf_page_png(pdf, out)
    if pages != len(sheets.per_store):
        raise SystemExit(
            f"{pages} printed page(s) for {len(sheets.per_store)} store(s): not 1 each"
        )
    print(f"wrote {out}: page 1 of {pages} (one A4 page per store) from {sheets.html_path}")
    return out


def dump_dom(page: Path) -> str:
    """The DOM after scripts ran: tells whether the inlined plotly.js drew the charts."""
    return run_chromium(page, "--virtual-time-budget=15000", "--dump-dom").stdout


def published_warehouse(warehouse: Path | None, scratch: Path) -> Path:
    """The warehouse given, else the report tests' fixture written into `scratch`."""
    if warehouse is not None:
        return warehouse
    from tests.reports.published_fixture import write_published

    warehouse = scratch / "warehouse"
    write_published(warehouse)
    print(f"no warehouse given: built the test fixture in {warehouse}")
    return warehouse


def build_report(warehouse: Path) -> Path:
    from orchestration.reports.kpi_report import build_kpi_report

    return build_kpi_report(warehouse).latest_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "kpi-report.png")
    docs = REPO_ROOT / "docs"
    parser.add_argument("--scorecard-out", type=Path, default=docs / "kpi-scorecard.png")
    parser.add_argument("--picking-out", type=Path, default=docs / "picking-sheet.png")
    parser.add_argument("--scorecard-height", type=int, default=1000)
    parser.add_argument("--report", type=Path, help="an existing report HTML file")
    parser.add_argument("--warehouse", type=Path, help="a WAREHOUSE_DIR with a publication")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=2400)
    args = parser.parse_args()
    env_dir = Path(os.environ["WAREHOUSE_DIR"]) if os.environ.get("WAREHOUSE_DIR") else None
    if args.warehouse is None and env_dir and (env_dir / "published" / "marts.duckdb").exists():
        args.warehouse = env_dir
    with tempfile.TemporaryDirectory(prefix="kpi-report-") as scratch:
        warehouse = None if args.report else published_warehouse(args.warehouse, Path(scratch))
        page = args.report or build_report(warehouse)
        screenshot(page, args.out, args.width, args.height)
        print(f"wrote {args.out} from {page}")
        screenshot(page, args.scorecard_out, args.width, args.scorecard_height)
        print(f"wrote {args.scorecard_out} (header and scorecard) from {page}")
        if warehouse is not None:
            picking_sheet_png(warehouse, args.picking_out, Path(scratch))


if __name__ == "__main__":
    main()
