"""Keep the outputs of the last runs only: Data Docs and KPI reports, `RETENTION_RUNS` (14) each.

Both are written once per run and were never removed: a daily schedule filled the disk (Data Docs
carried Great Expectations' static assets, ~4 MB, once per suite and run). The run history in
Dagster keeps its links; those older than the retention simply no longer open.

Free of Dagster and GE: the suite process (orchestration/quality/runner.py) uses it too.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from orchestration.lib.settings import load_settings


def retention_runs(env: Mapping[str, str] | None = None) -> int:
    """RETENTION_RUNS (default 14): how many runs' Data Docs and reports are kept; at least 1."""
    return load_settings(env).retention_runs


def prune_oldest(paths: Iterable[Path], keep: int) -> list[Path]:
    """Remove all but the `keep` most recently modified of `paths` (files or folders); the
    removed ones, oldest first. A path already gone (a concurrent prune) is skipped."""
    existing = []
    for path in paths:
        try:
            existing.append((path.lstat().st_mtime, path))
        except FileNotFoundError:
            continue
    existing.sort(key=lambda item: item[0], reverse=True)
    removed = [path for _, path in existing[keep:]][::-1]
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return removed


def share_folder(folder: Path, shared: Path) -> None:
    """Replace `folder` with a relative symlink to `shared`, moving it there if `shared` does
    not exist yet: identical files (GE's static assets) stored once. Safe with concurrent runs:
    the first to rename its copy into place wins, the others drop theirs."""
    if folder.is_symlink() or not folder.is_dir():
        return
    if not shared.exists():
        shared.parent.mkdir(parents=True, exist_ok=True)
        staging = shared.with_name(f".{shared.name}.{os.getpid()}")
        shutil.copytree(folder, staging)
        try:
            staging.rename(shared)
        except OSError:  # another process put it there first
            shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(folder)
    folder.symlink_to(os.path.relpath(shared, folder.parent), target_is_directory=True)
