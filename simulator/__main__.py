"""`python -m simulator serve --port 8765`: serve the simulated APIs until Ctrl-C."""

from __future__ import annotations

import argparse
import re
import shlex
import signal
import sys
import threading
from datetime import UTC, datetime

from simulator.config import PROFILES, SimulatorConfig
from simulator.server import SimulatorServer


def _versions(raw: str) -> frozenset[str]:
    """`v21,v22` -> {"v21", "v22"}; a typo like `21` is an error, not a version never refused."""
    versions = frozenset(v.strip() for v in raw.split(",") if v.strip())
    bad = sorted(v for v in versions if not re.fullmatch(r"v\d+", v))
    if bad:
        raise argparse.ArgumentTypeError(f"not Google Ads versions (vNN): {', '.join(bad)}")
    return versions


def _utc(raw: str) -> datetime:
    """An ISO time with its offset, e.g. `2026-11-30T06:00:00Z`."""
    value = datetime.fromisoformat(raw)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{raw!r} has no UTC offset (end it with Z)")
    return value.astimezone(UTC)


def _stop_on_sigterm() -> None:
    """`kill` (SIGTERM: a supervisor, the benchmark harness) stops the server as Ctrl-C does.

    Why: by default SIGTERM ends the process at once, so nothing runs at exit and the bulk
    operations' files (a `simulator-bulk-*` folder in the temporary directory, gigabytes at the
    large scale) stay behind; raised as `SystemExit`, the server closes and the folder is removed.
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the six APIs on loopback")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--seed", type=int, default=42)
    serve.add_argument("--scale", choices=sorted(PROFILES), default="demo")
    serve.add_argument(
        "--retired-google-ads-versions",
        type=_versions,
        default=frozenset(),
        metavar="v21,v22",
        help="Google Ads API versions to refuse the way Google refuses a sunset version",
    )
    serve.add_argument(
        "--now",
        type=_utc,
        default=None,
        metavar="2026-11-30T06:00:00Z",
        help="a fixed clock (UTC) instead of the wall clock: repeated reads see the same data",
    )
    args = parser.parse_args(argv)
    config = SimulatorConfig(
        seed=args.seed,
        scale=args.scale,
        now=args.now,
        retired_google_ads_versions=args.retired_google_ads_versions,
    )
    server = SimulatorServer(config, args.host, args.port)
    _stop_on_sigterm()
    with server:
        print(f"Simulator serving on {server.url} (seed {args.seed}, scale {args.scale})")
        if config.retired_google_ads_versions:
            retired = ", ".join(sorted(config.retired_google_ads_versions))
            print(f"Google Ads versions refused as retired: {retired}")
        print("Export these to point the pipeline at it:")
        for name, value in server.env().items():
            print(f"export {name}={shlex.quote(value)}")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped")


if __name__ == "__main__":
    main()
