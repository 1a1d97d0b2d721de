"""The Dagster instance directory (DAGSTER_HOME) for local runs: `make dev`, the demo, tests.

Dagster reads its instance settings from `$DAGSTER_HOME/dagster.yaml`. The repository's
dagster.yaml is the source of truth; `prepare_dagster_home()` copies it into the instance
directory, by default `$WAREHOUSE_DIR/dagster_home`, so run history lives with the warehouse
and survives restarts.

    export DAGSTER_HOME=$(python -m orchestration.instance)   # prints the prepared directory
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.lib.paths import WarehouseLayout
from orchestration.lib.settings import load_settings

if TYPE_CHECKING:
    import dagster as dg

REPO_ROOT = Path(__file__).resolve().parents[1]
DAGSTER_YAML = REPO_ROOT / "dagster.yaml"

#: Set in the processes that create range runs (the demo's launcher; docs/operations.md says how
#: for `make dev`). Dagster's SQLite event log otherwise records one "materialization planned"
#: event per asset AND per partition of a range run, each a SQLite commit, all before the first
#: step starts. With it, one event per asset carries the range. What is lost: the partitions of a
#: failed range run show as missing rather than failed in the UI (the run and its failed step
#: still show as failed). A daily run (one partition) is the same either way. Dagster's
#: variable, not a dagster.yaml setting.
PLANNED_EVENTS_ENV = {"DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true"}


def prepare_dagster_home(warehouse_dir: Path | None = None) -> Path:
    """Create the instance directory, give it the repository's dagster.yaml, return it.

    The directory is DAGSTER_HOME when set, else `<warehouse>/dagster_home` (warehouse: the
    argument, else WAREHOUSE_DIR, else ./warehouse). In that default directory the copy is
    refreshed whenever the repository's file changes; a DAGSTER_HOME chosen by an operator keeps
    the dagster.yaml they put there (e.g. with Postgres storage) and only gets one if it has none.
    """
    settings = load_settings()
    default_home = WarehouseLayout((warehouse_dir or settings.warehouse_dir).resolve()).dagster_home
    home = settings.dagster_home or default_home
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    managed = home == default_home
    if not target.exists() or (managed and target.read_bytes() != DAGSTER_YAML.read_bytes()):
        shutil.copyfile(DAGSTER_YAML, target)
    return home


@contextlib.contextmanager
def open_instance(home: Path) -> Iterator[dg.DagsterInstance]:
    """The instance at `home`, its SQLite storages created by one process at a time.

    Two processes opening a fresh DAGSTER_HOME at once (two demos started together) both create
    its tables and stamp their schema version; the second fails with "table runs already exists".
    The creation is serialised with a file lock; once the storages exist, opening is harmless.
    """
    import dagster as dg

    with (home / ".instance-create.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        instance = dg.DagsterInstance.from_config(str(home))
        instance.get_runs(limit=1)
        for storage in (instance.event_log_storage, instance.schedule_storage):
            assert storage is not None
        fcntl.flock(lock, fcntl.LOCK_UN)
    with instance:
        yield instance


if __name__ == "__main__":
    print(prepare_dagster_home())
