"""Screenshot a page of the Dagster UI (by default the stores group's lineage).

Starts a throwaway webserver on loopback (scripts/devserver.py), opens the page (`--path`; the
default is the `stores` journey group: RFID counts -> staging -> stock fact -> picking mart ->
publication) in Debian's headless Chromium and stops both. Point DAGSTER_HOME at a demo
warehouse's instance to show its runs and checks (`make screenshots` does).

Chromium is driven over the DevTools protocol (the `websockets` package that dagster-webserver
already installs), because two clicks are needed that `chromium --screenshot` cannot make: the
UI's first-visit "join the community" dialog is marked as seen (GraphQL `setNuxSeen`), and the
groups, collapsed by default in a large graph, are expanded (the UI's Alt+E shortcut). No browser
download needed (Playwright cannot fetch browsers here); set CHROMIUM to use another binary.

    .venv/bin/python scripts/screenshot_lineage.py [--path /assets/...] [--out docs/x.png]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from websockets.sync.client import ClientConnection, connect

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from scripts.devserver import (  # noqa: E402
    fetch_asset_graph,
    running_webserver,
    stop_process_group,
)

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
    "--remote-debugging-port=0",
]
# Click the UI's own "Hide navigation" and asset-tree toggle buttons (by their visible text/icon).
HIDE_PANELS_JS = """
(() => {
  const clicked = [];
  for (const el of document.querySelectorAll('button, a, div[role=button]')) {
    const text = (el.innerText || '').trim();
    if (text === 'Hide navigation') { el.click(); clicked.push(text); }
  }
  const jump = document.querySelector('input[placeholder^="Jump to"]');
  if (jump) {
    const box = jump.getBoundingClientRect();
    for (const button of document.querySelectorAll('button')) {
      const r = button.getBoundingClientRect();
      if (r.left >= box.right - 2 && r.left < box.right + 40 && Math.abs(r.top - box.top) < 12) {
        button.click(); clicked.push('asset tree'); break;
      }
    }
  }
  return clicked;
})()
"""
LOCATION = "orchestration.definitions"
_DEVTOOLS_LINE = re.compile(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/")


def chromium_binary() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return str(shutil.which(candidate))
    raise SystemExit("chromium not found: apt-get install -y chromium (or set CHROMIUM)")


@contextlib.contextmanager
def devtools_page(width: int, height: int) -> Iterator[DevTools]:
    """A headless Chromium (own process group, own throwaway profile) and its first page."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        process = subprocess.Popen(
            [
                chromium_binary(),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            port = None
            assert process.stderr is not None
            for line in process.stderr:
                if match := _DEVTOOLS_LINE.search(line):
                    port = match.group(1)
                    break
            if port is None:
                raise RuntimeError("chromium exited before opening its DevTools port")
            pages = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
            page = next(target for target in pages if target["type"] == "page")
            with connect(page["webSocketDebuggerUrl"], max_size=None) as socket:
                devtools = DevTools(socket)
                devtools.call(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=height,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                yield devtools
        finally:
            stop_process_group(process, grace_seconds=5)  # type: ignore[arg-type]


class DevTools:
    """The few Chrome DevTools protocol calls this script needs, over one page's websocket."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        self._socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=120))
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(f"page never satisfied: {expression}")
            time.sleep(0.5)

    def press(self, key: str, code: str, alt: bool = False) -> None:
        for event_type in ("keyDown", "keyUp"):
            self.call(
                "Input.dispatchKeyEvent",
                type=event_type,
                key=key,
                code=code,
                modifiers=1 if alt else 0,
            )

    def wheel(self, x: int, y: int, delta_y: int) -> None:
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        self.call(
            "Input.dispatchMouseEvent",
            type="mouseWheel",
            x=x,
            y=y,
            deltaX=0,
            deltaY=delta_y,
            modifiers=2,  # Ctrl: the graph zooms on Ctrl+wheel (plain wheel pans)
        )

    def screenshot(self, out: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "lineage-stores.png")
    # The location is named after the module the throwaway webserver loads.
    parser.add_argument("--path", default=f"/locations/{LOCATION}/asset-groups/stores")
    parser.add_argument("--width", type=int, default=2000)
    parser.add_argument("--height", type=int, default=1250)
    # One small zoom-in step: the UI fits the group at a zoom where it draws names only; the step
    # brings the node cards (latest run, checks, partitions) into view while the group still fits.
    parser.add_argument("--zoom-steps", type=int, default=1)
    parser.add_argument("--zoom-delta", type=int, default=-60, help="Ctrl+wheel delta per step")
    parser.add_argument("--settle", type=float, default=6, help="seconds to let the graph lay out")
    parser.add_argument("--wait-for", default="rfid", help="text the page shows once loaded")
    args = parser.parse_args()
    # DAGSTER_HOME of a demo warehouse shows its runs and check results; else an empty instance.
    home = os.environ.get("DAGSTER_HOME")
    with running_webserver(env={"DAGSTER_HOME": home} if home else None) as url:
        graph = fetch_asset_graph(url)  # also warms the code location before the browser loads
        requests.post(f"{url}/graphql", json={"query": "mutation { setNuxSeen }"}, timeout=30)
        print(f"{len(graph)} assets served at {url}")
        with devtools_page(args.width, args.height) as page:
            page.call("Page.enable")
            page.call("Page.navigate", url=url + args.path)
            page.wait_for(f"document.body.innerText.includes({args.wait_for!r})", timeout=120)
            time.sleep(args.settle)
            page.evaluate("document.activeElement && document.activeElement.blur()")
            page.press("e", "KeyE", alt=True)  # the UI's "expand all groups" shortcut
            time.sleep(args.settle)
            # Hide the left navigation and the asset tree, then zoom the graph.
            page.evaluate(HIDE_PANELS_JS)
            time.sleep(1)
            for _ in range(args.zoom_steps):
                page.wheel(args.width // 2 + 100, args.height // 2, delta_y=args.zoom_delta)
                time.sleep(0.3)
            time.sleep(2)
            page.screenshot(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
