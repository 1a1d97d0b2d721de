"""Outputs kept for the last runs only, identical files stored once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestration.lib.retention import prune_oldest, retention_runs, share_folder

RUNS = 20


def disk_bytes(folder: Path) -> int:
    """Bytes of the regular files under `folder`, symlinks not followed (what the disk holds)."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def write_run_outputs(root: Path, run: int) -> Path:
    """One run's Data Docs site as GE writes it: pages plus a full copy of the static assets."""
    site = root / f"run-{run:02d}" / "shop_orders"
    (site / "static" / "styles").mkdir(parents=True)
    (site / "static" / "styles" / "data_docs.css").write_bytes(b"x" * 400_000)
    (site / "index.html").write_text(f"run {run}")
    share_folder(site / "static", root / "_static" / "1.0")
    os.utime(site.parent, (1_000_000 + run, 1_000_000 + run))  # runs a second apart
    return site


def test_twenty_runs_keep_fourteen_and_one_copy_of_the_assets(tmp_path: Path) -> None:
    for run in range(RUNS):
        write_run_outputs(tmp_path, run)
        prune_oldest((p for p in tmp_path.iterdir() if p.name != "_static"), retention_runs({}))
    kept = sorted(p.name for p in tmp_path.iterdir() if p.name != "_static")
    assert kept == [f"run-{run:02d}" for run in range(RUNS - 14, RUNS)]
    # 14 pages of a few bytes and the 400 kB stylesheet once (20 copies before: 8 MB).
    assert 400_000 <= disk_bytes(tmp_path) < 401_000
    css = tmp_path / "run-19" / "shop_orders" / "static" / "styles" / "data_docs.css"
    assert (tmp_path / "run-19" / "shop_orders" / "static").is_symlink()
    assert css.read_bytes() == b"x" * 400_000


def test_prune_oldest_removes_files_and_folders_oldest_first(tmp_path: Path) -> None:
    paths = [tmp_path / "a.html", tmp_path / "b", tmp_path / "c.html"]
    paths[0].write_text("a")
    paths[1].mkdir()
    paths[2].write_text("c")
    for age, path in enumerate(reversed(paths)):
        os.utime(path, (2_000_000 - age, 2_000_000 - age))
    assert prune_oldest(paths, keep=1) == [paths[0], paths[1]]
    assert [p.name for p in tmp_path.iterdir()] == ["c.html"]


@pytest.mark.parametrize(("value", "runs"), [(None, 14), ("", 14), ("3", 3), ("1", 1)])
def test_retention_runs_from_the_environment(value: str | None, runs: int) -> None:
    assert retention_runs({} if value is None else {"RETENTION_RUNS": value}) == runs


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_retention_runs_refuses_nonsense(value: str) -> None:
    with pytest.raises(ValueError, match="RETENTION_RUNS"):
        retention_runs({"RETENTION_RUNS": value})
