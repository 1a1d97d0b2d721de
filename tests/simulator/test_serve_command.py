"""`python -m simulator serve`, the command users and the benchmarks start and stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_sigterm_stops_the_server_and_removes_its_bulk_files_folder(tmp_path: Path) -> None:
    """A server stopped with `kill` leaves no `simulator-bulk-*` folder in the temporary directory
    (the bulk operations' JSONL files: gigabytes at the large scale)."""
    command = [sys.executable, "-m", "simulator", "serve", "--port", str(_free_port())]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().startswith("Simulator serving on http://127.0.0.1:")
        [folder] = tmp_path.glob("simulator-bulk-*")
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        server.kill()
        server.wait()
    assert not folder.exists()
