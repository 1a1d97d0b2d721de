"""`python -m simulator serve --port 8765`: serve the simulated APIs until Ctrl-C."""

from __future__ import annotations

import argparse
import shlex
import threading

from simulator.config import PROFILES, SimulatorConfig
from simulator.server import SimulatorServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the six APIs on loopback")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--seed", type=int, default=42)
    serve.add_argument("--scale", choices=sorted(PROFILES), default="demo")
    args = parser.parse_args(argv)
    server = SimulatorServer(
        SimulatorConfig(seed=args.seed, scale=args.scale), args.host, args.port
    )
    with server:
        print(f"Simulator serving on {server.url} (seed {args.seed}, scale {args.scale})")
        print("Export these to point the pipeline at it:")
        for name, value in server.env().items():
            print(f"export {name}={shlex.quote(value)}")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped")


if __name__ == "__main__":
    main()
