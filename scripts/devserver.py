"""A throwaway Dagster webserver on loopback, for the lineage test and the screenshot script.

The server runs in its own process group (`start_new_session=True`) so stopping it also stops
the code-server subprocess it spawns; only that group, found by the PID we started, is signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import requests

from orchestration.lib.settings import child_environment

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process_group(process: subprocess.Popen[bytes], grace_seconds: float = 15) -> None:
    """SIGTERM the group led by `process`, then SIGKILL whatever is left after the grace time."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace_seconds)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


@contextlib.contextmanager
def running_webserver(
    env: Mapping[str, str] | None = None, startup_timeout: float = 180
) -> Iterator[str]:
    """Serve `orchestration.definitions` on a free loopback port; yield its base URL.

    The instance is a temporary DAGSTER_HOME unless `env` gives one, so nothing is left behind.
    """
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="dagster-webserver-") as tmp:
        full_env = child_environment({"DAGSTER_HOME": tmp, **(env or {})})
        log_path = Path(tmp) / "webserver.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("dagster-webserver")),
                    "-m",
                    "orchestration.definitions",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                ],
                cwd=REPO_ROOT,
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                url = f"http://127.0.0.1:{port}"
                deadline = time.monotonic() + startup_timeout
                while True:
                    if process.poll() is not None:
                        raise RuntimeError(
                            f"dagster-webserver exited ({process.returncode}):\n"
                            + log_path.read_text(errors="replace")[-4000:]
                        )
                    with contextlib.suppress(requests.RequestException):
                        if requests.get(f"{url}/server_info", timeout=2).ok:
                            break
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"dagster-webserver not up after {startup_timeout}s:\n"
                            + log_path.read_text(errors="replace")[-4000:]
                        )
                    time.sleep(1)
                yield url
            finally:
                stop_process_group(process)


ASSET_GRAPH_QUERY = """
query AssetGraph {
  assetNodes {
    assetKey { path }
    dependencyKeys { path }
    groupName
  }
}
"""


def fetch_asset_graph(url: str) -> dict[str, list[str]]:
    """The webserver's asset graph as {asset key: [upstream keys]}, keys as 'a/b' strings."""
    response = requests.post(f"{url}/graphql", json={"query": ASSET_GRAPH_QUERY}, timeout=60)
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    graph: dict[str, list[str]] = {}
    for node in body["data"]["assetNodes"]:
        key = "/".join(node["assetKey"]["path"])
        graph[key] = ["/".join(dep["path"]) for dep in node["dependencyKeys"]]
    return graph
