"""Load the Great Expectations suites that live as JSON files under `expectations/`.

A suite file is a GE 1.x ExpectationSuite (`name`, `expectations`, `meta`) that a data person can
edit without touching Python. Our additions live in `meta`:

- suite `meta.asset_key`: the Dagster asset the suite guards (`landing/shop_orders`, `fct_orders`);
- suite `meta.frames`: frame name -> {description, sql}: what DuckDB computes for GE to validate;
- suite `meta.parameters`: defaults for `{"$PARAMETER": name}` values in expectation kwargs;
- expectation `meta.frame`: which frame the expectation validates;
- expectation `meta.blocking`: true when a failure must stop publication (else it only warns).

GE drops an expectation of an unknown type without raising (it only logs), so a typo in a suite
would silently weaken the gate: loading counts the expectations GE kept and fails loudly.

The Dagster definitions load the suites without Great Expectations (`validate=False`: importing
GE costs seconds and hundreds of MB); the same count then runs when the check builds
its GE suites (`gx_suite`), where a dropped expectation fails the check (severity ERROR) rather
than checking less. `load_suite` validates with GE by default (the suite tests do).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import dagster as dg
    import great_expectations as gx

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SUITES_DIR = REPO_ROOT / "expectations"


class SuiteFileError(ValueError):
    """A suite file that would not check what it says it checks."""


@dataclass(frozen=True)
class Frame:
    name: str
    description: str
    sql: str


@dataclass(frozen=True)
class SuiteDefinition:
    """One suite file, checked and split by frame."""

    name: str
    path: Path
    asset_key_string: str  # meta.asset_key, e.g. "landing/shop_orders"
    description: str
    frames: dict[str, Frame]
    parameters: dict[str, Any]
    expectations: list[dict[str, Any]] = field(repr=False)

    @property
    def asset_key(self) -> dg.AssetKey:
        """The asset the suite guards. Dagster is imported here, not with the module: the suite
        process (isolated.py) loads suites and never needs it (a slower start)."""
        import dagster as dg

        return dg.AssetKey.from_user_string(self.asset_key_string)

    @property
    def reads_build(self) -> bool:
        """Whether a frame reads the dbt build database (`build.marts.<model>`): the step then
        holds the run's build lease (orchestration/build_lease.py)."""
        return any(re.search(r"\bbuild\.", frame.sql) for frame in self.frames.values())

    def expectations_for(self, frame: str) -> list[dict[str, Any]]:
        return [e for e in self.expectations if e["meta"]["frame"] == frame]

    def gx_suite(self, frame: str) -> gx.ExpectationSuite:
        """The GE suite for one frame; named `<suite>.<frame>` in Data Docs."""
        import great_expectations as gx

        expected = self.expectations_for(frame)
        suite = gx.ExpectationSuite(
            name=f"{self.name}.{frame}", expectations=expected, meta={"frame": frame}
        )
        _require_all_kept(self.path, expected, suite)
        return suite


def _require_all_kept(
    path: Path, expected: list[dict[str, Any]], suite: gx.ExpectationSuite
) -> None:
    if len(suite.expectations) != len(expected):
        kept = [e.expectation_type for e in suite.expectations]
        dropped = [e["type"] for e in expected]
        for kept_type in kept:
            dropped.remove(kept_type)
        raise SuiteFileError(
            f"{path}: GE kept {len(suite.expectations)} of {len(expected)} expectations; "
            f"dropped (unknown type or invalid kwargs): {dropped}"
        )


def _check_meta(path: Path, data: dict[str, Any]) -> None:
    meta = data.get("meta", {})
    for key in ("asset_key", "frames"):
        if key not in meta:
            raise SuiteFileError(f"{path}: suite meta needs '{key}'")
    for index, expectation in enumerate(data.get("expectations", [])):
        exp_meta = expectation.get("meta", {})
        where = f"{path}: expectation #{index} ({expectation.get('type')})"
        if exp_meta.get("frame") not in meta["frames"]:
            raise SuiteFileError(f"{where}: meta.frame must be one of {sorted(meta['frames'])}")
        if not isinstance(exp_meta.get("blocking"), bool):
            raise SuiteFileError(f"{where}: meta.blocking must be true or false")


def load_suite(path: Path, validate: bool = True) -> SuiteDefinition:
    """Read and check one suite file; raise `SuiteFileError` rather than check less.

    `validate=False` skips the Great Expectations part (types and kwargs GE would drop): the
    check does it when it runs (`gx_suite`); the structure (`meta`) is checked either way.
    """
    data = json.loads(path.read_text())
    _check_meta(path, data)
    if validate:
        import great_expectations as gx

        _require_all_kept(path, data["expectations"], gx.ExpectationSuite(**data))
    meta = data["meta"]
    return SuiteDefinition(
        name=data["name"],
        path=path,
        asset_key_string=meta["asset_key"],
        description=meta.get("description", ""),
        frames={
            name: Frame(name, spec.get("description", ""), spec["sql"])
            for name, spec in meta["frames"].items()
        },
        parameters=meta.get("parameters", {}),
        expectations=data["expectations"],
    )


def load_suites(
    suites_dir: Path = DEFAULT_SUITES_DIR, validate: bool = True
) -> list[SuiteDefinition]:
    """Every suite under `suites_dir` (landing/ and marts/), sorted by file path."""
    return [load_suite(path, validate) for path in sorted(suites_dir.glob("*/*.json"))]
