"""The dbt project as Dagster sees it, and the manifest it is read from.

`@dbt_assets` needs `dbt_project/target/manifest.json` when the definitions are imported. The
target folder is not committed, so it is prepared before the definitions load, as dagster-dbt
documents, never as a side effect of importing them: `make manifest` (and the make targets that
load the definitions), the demo launcher, `dagster dev`/`dg dev` (the definitions call
`prepare_if_dev()` only under the dev CLI) and the test session (tests/conftest.py). A deployment
image runs `make manifest` when it is built. The manifest is re-parsed whenever it is missing or
older than a file of the dbt project, so edits to models show up after a `dagster dev` reload.

The parse writes into a private folder and then moves `manifest.json` (and dbt's partial-parse
cache) into place atomically, under a file lock: several processes (pytest-xdist workers, the
webserver and the daemon) may import the definitions at the same time.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dagster_dbt import DbtProject
from filelock import FileLock

from orchestration.lib.settings import child_environment, load_settings

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
_SETTINGS = load_settings()
DBT_PROJECT_DIR = _SETTINGS.dbt_project_dir or REPO_ROOT / "dbt_project"
# dbt's files whose change alters the manifest (data files like seeds' CSV rows do not, but a
# new seed does; comparing mtimes is cheap and errs on the side of re-parsing).
_PROJECT_INPUTS = (
    "dbt_project.yml",
    "models",
    "macros",
    "seeds",
    "snapshots",
    "tests",
    "analyses",
    "packages.yml",
    "dependencies.yml",
)


def dbt_executable() -> str:
    """The `dbt` next to the running interpreter: the venv's bin is not always on PATH (e.g.
    `.venv/bin/dagster dev` from a shell without an activated venv)."""
    candidate = Path(sys.executable).with_name("dbt")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dbt")
    if not found:
        raise FileNotFoundError(f"dbt executable not found next to {sys.executable} nor on PATH")
    return found


def manifest_target_path(target: str) -> Path:
    """Where the manifest of `target` lives: one per dbt target, because the manifest records the
    adapter (Dagster's `kind` tags) and each relation's database (what dagster-dbt queries for row
    counts). A shared one would flip to whichever target parsed last. duckdb keeps dbt's default."""
    return Path("target") if target == "duckdb" else Path("target") / target


_TARGET = _SETTINGS.dbt_target
dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target=_TARGET,
    target_path=manifest_target_path(_TARGET),
)


def _newest_input_mtime(project_dir: Path) -> float:
    newest = 0.0
    for name in _PROJECT_INPUTS:
        path = project_dir / name
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        elif path.is_dir():
            for child in path.rglob("*"):
                if child.is_file():
                    newest = max(newest, child.stat().st_mtime)
    return newest


def manifest_is_stale(project: DbtProject = dbt_project) -> bool:
    """True when the manifest is missing, older than a file of the dbt project, or parsed for
    another dbt target (our targets are named after their adapters)."""
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    if manifest.stat().st_mtime < _newest_input_mtime(project.project_dir):
        return True
    return bool(project.target) and _manifest_adapter(manifest) not in (None, project.target)


def _manifest_adapter(manifest: Path) -> str | None:
    try:
        return json.loads(manifest.read_text()).get("metadata", {}).get("adapter_type")
    except (OSError, ValueError, AttributeError):
        return None


def parse_manifest(project: DbtProject = dbt_project) -> Path:
    """Run `dbt parse` into a private folder and move the manifest into place atomically.

    The parse needs no database, so it runs against a throwaway WAREHOUSE_DIR: it never opens
    (nor locks) the real DuckDB file another run may be writing.
    """
    target_dir = project.manifest_path.parent
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dbt-parse-", dir=target_dir) as tmp:
        tmp_path = Path(tmp)
        env = child_environment(
            {
                "WAREHOUSE_DIR": load_settings().text("WAREHOUSE_DIR")
                or str(tmp_path / "warehouse"),
                "DBT_LOG_PATH": str(tmp_path / "logs"),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            }
        )
        command = [
            dbt_executable(),
            "parse",
            "--quiet",
            "--project-dir",
            str(project.project_dir),
            "--profiles-dir",
            str(project.profiles_dir),
            "--target-path",
            str(tmp_path / "target"),
            *(["--target", project.target] if project.target else []),
        ]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"`dbt parse` of {project.project_dir} failed ({result.returncode}):\n"
                f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
            )
        for name in ("partial_parse.msgpack", "manifest.json"):  # manifest last: it is the signal
            produced = tmp_path / "target" / name
            if produced.exists():
                os.replace(produced, target_dir / name)
    return project.manifest_path


def prepare_if_dev(project: DbtProject = dbt_project) -> Path:
    """Make `project.manifest_path` loadable and current; return it.

    Named after dagster-dbt's `DbtProject.prepare_if_dev`, which re-parses on every load under
    `dagster dev` (that is, in the webserver, the daemon and every run worker). Re-parsing only
    when the manifest is missing or older than a project file picks up the same edits at a
    fraction of the cost, and also covers tests and fresh clones. If a re-parse of a stale
    manifest fails (e.g. a read-only deployment image), the existing manifest is used and the
    failure logged.
    """
    if not manifest_is_stale(project):
        return project.manifest_path
    project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(project.manifest_path.with_name(".manifest.lock")))
    with lock.acquire(timeout=300):
        if not manifest_is_stale(project):  # another process parsed it while we waited
            return project.manifest_path
        try:
            parse_manifest(project)
        except Exception:
            if not project.manifest_path.exists():
                raise
            logger.exception("dbt parse failed; using the existing %s", project.manifest_path)
    return project.manifest_path
