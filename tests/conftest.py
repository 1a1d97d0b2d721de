"""Shared fixtures for the extract tests: fast retry settings and an isolated warehouse; and how
pytest-xdist shares the suite between its workers (`make test`: -n 2 --dist loadgroup)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.lib.http import HttpSettings
from orchestration.lib.settings import SOURCE_ENV

#: The longest test modules, longest first: xdist hands the work out in collection order
#: (--no-loadscope-reorder), and the two workers finish together only if what takes longest
#: starts first. After them come the other modules with `slow` tests, then the rest.
LONGEST_FIRST = (
    "tests/orchestration/test_failures_contained.py",
    "tests/dbt/test_fixture_kpis.py",
    "tests/publication/test_held_days.py",
    "tests/dbt/test_simulator_demo_build.py",
    "tests/publication/test_simulator_bad_data.py",
    "tests/orchestration/test_pipeline.py",
)


def _xdist_group(item: pytest.Item) -> str | None:
    """The item's `xdist_group` names joined as pytest-xdist joins them, or None."""
    names = {
        str(m.args[0] if m.args else m.kwargs.get("name", "default"))
        for m in item.iter_markers("xdist_group")
    }
    return "_".join(sorted(names)) or None


def _module_rank(item: pytest.Item, slow_modules: set[str]) -> int:
    module = item.nodeid.split("::", 1)[0]
    if module in LONGEST_FIRST:
        return LONGEST_FIRST.index(module)
    return len(LONGEST_FIRST) + (module not in slow_modules)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker: the longest modules first, and the `xdist_group` marks honoured.

    pytest-xdist 3.8 groups a test by appending `@<group>` to `item._nodeid`, an attribute pytest 9
    no longer reads (the node id lives in `item._id`): without this, `--dist loadgroup` spreads a
    group over both workers, and each worker builds the module fixtures the group was to share.
    Modules stay whole, so a module fixture is built once per worker that runs the module.
    """
    if not getattr(config.option, "loadgroup", False):
        return  # not an xdist worker of a --dist loadgroup run
    slow_modules = {i.nodeid.split("::", 1)[0] for i in items if i.get_closest_marker("slow")}
    items.sort(key=lambda item: _module_rank(item, slow_modules))
    for item in items:
        group = _xdist_group(item)
        if group and not item.nodeid.endswith(f"@{group}"):
            item._id = type(item._id).parse(f"{item.nodeid}@{group}")


def pytest_configure(config: pytest.Config) -> None:
    """Parse the dbt manifest (when missing or stale) before collection: test modules import the
    definitions, which read it and, as in production, never parse it themselves. Every xdist
    process runs this; the parse is under a file lock, so one parses and the others wait."""
    from orchestration.dbt.project import prepare_if_dev

    prepare_if_dev()


@pytest.fixture
def fast_http() -> HttpSettings:
    """Retry settings with millisecond sleeps, so fault tests stay fast."""
    return HttpSettings(
        connect_timeout=2.0,
        read_timeout=2.0,
        max_retries=4,
        backoff_factor=0.01,
        backoff_max=0.05,
        backoff_jitter=0.0,
        retry_after_max=2,
    )


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh WAREHOUSE_DIR, and no source variable leaking in from the caller's shell."""
    for spec in SOURCE_ENV.values():
        for var in (spec.url_var, *spec.credential_vars):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    return tmp_path / "warehouse"


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """A loopback port that accepts connections and never answers (a stuck API or balancer)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    host, port = listener.getsockname()
    yield f"http://{host}:{port}"
    listener.close()
    for connection in held:
        connection.close()
