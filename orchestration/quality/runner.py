"""Run suites with Great Expectations' own API and summarise what failed.

The suites of a process share an ephemeral GE context (`SuiteRunner`; nothing persisted but the
Data Docs HTML): one pandas data source with an asset per frame name, one validation definition
per frame, and per suite a Data Docs site under
`{WAREHOUSE_DIR}/quality/data_docs/{run_id}/{suite}/` holding only that suite's pages, so the
check can link the rendered results.
GE copies its static assets (css, js, fonts: ~4 MB) into every site; they are stored once per GE
version under `data_docs/_static/` and each site's `static` is a link to them. The sites of the
last RETENTION_RUNS runs are kept (orchestration/lib/retention.py).

Great Expectations is imported when a suite runs, not when this module is: it takes seconds and
hundreds of MB to import (with pyspark, which it imports when installed), and the Dagster
definitions only need the check specs.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.lib.paths import WarehouseLayout
from orchestration.lib.retention import prune_oldest, share_folder
from orchestration.lib.settings import load_settings
from orchestration.quality.frames import Window, compute_frames
from orchestration.quality.suites import SuiteDefinition

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas as pd
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )

DEFAULT_MAX_REJECT_RATE = 0.01
SHARED_STATIC = "_static"
_DOCS_SITE = "run"
_SAMPLE_COUNT = 5
#: suite parameter -> environment variable that overrides it at run time
PARAMETER_ENV = {"max_reject_rate": "MAX_REJECT_RATE", "min_volume_ratio": "MIN_VOLUME_RATIO"}


@dataclass(frozen=True)
class ExpectationOutcome:
    """One evaluated expectation, flattened for the check's metadata."""

    frame: str
    expectation: str
    column: str
    blocking: bool
    success: bool
    observed: str
    unexpected_samples: str


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    window: Window
    outcomes: list[ExpectationOutcome]
    frame_rows: dict[str, int]
    data_docs_index: Path

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.failures if o.blocking]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON, to come back from the suite process (orchestration/quality/isolated.py)."""
        return {
            "suite": self.suite,
            "window": self.window.to_json(),
            "outcomes": [asdict(outcome) for outcome in self.outcomes],
            "frame_rows": self.frame_rows,
            "data_docs_index": str(self.data_docs_index),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SuiteOutcome:
        return cls(
            suite=data["suite"],
            window=Window.from_json(data["window"]),
            outcomes=[ExpectationOutcome(**outcome) for outcome in data["outcomes"]],
            frame_rows=data["frame_rows"],
            data_docs_index=Path(data["data_docs_index"]),
        )


def data_docs_root(warehouse_dir: Path) -> Path:
    return WarehouseLayout(warehouse_dir).data_docs


def _shared_static(warehouse_dir: Path) -> Path:
    import great_expectations as gx

    return data_docs_root(warehouse_dir) / SHARED_STATIC / gx.__version__


def prune_data_docs(warehouse_dir: Path, keep: int) -> list[Path]:
    """Remove the Data Docs of all but the `keep` latest runs (the shared assets stay)."""
    root = data_docs_root(warehouse_dir)
    runs = [path for path in root.iterdir() if path.name != SHARED_STATIC] if root.exists() else []
    return prune_oldest(runs, keep)


def resolve_parameters(suite: SuiteDefinition) -> dict[str, Any]:
    """Suite defaults, then environment overrides; the reject-rate ceiling is always set."""
    parameters = {"max_reject_rate": DEFAULT_MAX_REJECT_RATE, **suite.parameters}
    return {**parameters, **load_settings().quality_overrides(PARAMETER_ENV)}


def _context() -> gx.data_context.EphemeralDataContext:
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def data_docs_site_config(
    docs_dir: Path, template_cache_dir: Path, sections: bool = True
) -> dict[str, Any]:
    """GE's default site as `SiteBuilder` arguments, with views that keep their compiled templates
    in `template_cache_dir` (quality/data_docs_views.py), and without the profiling section (no
    profiler runs here). `sections=False`: the index page only."""

    def view(class_name: str) -> dict[str, str]:
        return {
            "module_name": "orchestration.quality.data_docs_views",
            "class_name": class_name,
            "template_cache_dir": str(template_cache_dir),
        }

    def pages() -> dict[str, Any] | str:
        return {"view": view("CachedJinjaPageView")} if sections else "None"

    return {
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "view": view("CachedJinjaIndexPageView"),
        },
        "site_section_builders": {
            "expectations": pages(),
            "validations": pages(),
            "profiling": "None",
        },
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(docs_dir),
        },
    }


def _plain(value: Any) -> Any:
    """numpy scalars and tuples of them -> plain Python, so samples read like data."""
    if isinstance(value, tuple | list):
        return tuple(_plain(v) for v in value)
    return value.item() if hasattr(value, "item") else value


def _short(value: Any) -> str:
    value = _plain(value)
    if isinstance(value, float) and not math.isnan(value):
        return f"{value:.6g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return json.dumps(value, default=str) if isinstance(value, dict) else str(value)


def _observed(result: dict[str, Any]) -> str:
    """The observed value GE reports, or the unexpected count and share."""
    if "observed_value" in result:
        return _short(result["observed_value"])
    if "unexpected_count" in result:
        percent = result.get("unexpected_percent") or 0.0
        count, total = result["unexpected_count"], result.get("element_count")
        return f"{count} unexpected of {total} ({percent:.3g} %)"
    return ""


def _samples(result: dict[str, Any]) -> str:
    values = result.get("partial_unexpected_list") or []
    return ", ".join(_short(v) for v in values[:_SAMPLE_COUNT])


def _outcome(frame: str, result: ExpectationValidationResult) -> ExpectationOutcome:
    config = result.expectation_config
    kwargs = config.kwargs
    column = kwargs.get("column") or " / ".join(
        str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs
    )
    details = result.result or {}
    if result.exception_info and result.exception_info.get("raised_exception"):
        observed = f"error: {result.exception_info.get('exception_message')}"
    else:
        observed = _observed(details)
    return ExpectationOutcome(
        frame=frame,
        expectation=config.type,
        column=column,
        blocking=bool(config.meta.get("blocking")),
        success=bool(result.success),
        observed=observed,
        unexpected_samples=_samples(details),
    )


class SuiteRunner:
    """Validates suites in one Great Expectations context, e.g. every suite of a check step.

    Why one context: GE writes its whole project configuration out as YAML each time a data source,
    asset, batch definition or Data Docs site is added, even in an ephemeral context. One pandas
    data source serves every frame, with one asset and whole-dataframe batch definition per frame
    name (shared by the suites with a frame of that name; the frame itself is a batch parameter
    of the validation), and each suite's Data Docs site is built by a `SiteBuilder` of its own
    instead of a site added to the context: the configuration is written out twice per new frame
    name, not three or four times per frame (1.7 s of 8 s for the six landing suites at the demo
    scale, bench/README.md).
    """

    def __init__(self, warehouse_dir: Path, run_id: str) -> None:
        self._warehouse_dir = warehouse_dir
        self._run_id = run_id
        self._context = _context()
        self._source = self._context.data_sources.add_pandas("frames")
        self._batches: dict[str, BatchDefinition] = {}

    def run(self, suite: SuiteDefinition, window: Window) -> SuiteOutcome:
        """Compute the suite's frames in DuckDB, validate them with GE, build the Data Docs."""
        frames = compute_frames(
            self._warehouse_dir, window, {name: frame.sql for name, frame in suite.frames.items()}
        )
        parameters = resolve_parameters(suite)
        outcomes, gx_suites = [], []
        for frame, dataframe in frames.items():
            if not suite.expectations_for(frame):
                continue
            gx_suite = self._context.suites.add(suite.gx_suite(frame))
            validation = self._validate(gx_suite, self._batch(frame), dataframe, parameters)
            outcomes += [_outcome(frame, result) for result in validation.results]
            gx_suites.append(gx_suite.name)
        docs_dir = data_docs_root(self._warehouse_dir) / self._run_id / suite.name
        self._build_data_docs(docs_dir, gx_suites)
        return SuiteOutcome(
            suite=suite.name,
            window=window,
            outcomes=outcomes,
            frame_rows={name: len(df) for name, df in frames.items()},
            data_docs_index=docs_dir / "index.html",
        )

    def _batch(self, frame: str) -> BatchDefinition:
        """The whole-dataframe batch of an asset named after the frame (the Data Docs show it),
        shared by the suites with a frame of that name."""
        if frame not in self._batches:
            asset = self._source.add_dataframe_asset(frame)
            self._batches[frame] = asset.add_batch_definition_whole_dataframe("whole")
        return self._batches[frame]

    def _validate(
        self,
        gx_suite: gx.ExpectationSuite,
        batch: BatchDefinition,
        dataframe: pd.DataFrame,
        parameters: dict[str, Any],
    ) -> ExpectationSuiteValidationResult:
        import great_expectations as gx

        definition = self._context.validation_definitions.add(
            gx.ValidationDefinition(name=gx_suite.name, data=batch, suite=gx_suite)
        )
        return definition.run(
            batch_parameters={"dataframe": dataframe},
            expectation_parameters=parameters,
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": _SAMPLE_COUNT},
        )

    def _build_data_docs(self, docs_dir: Path, gx_suites: list[str]) -> None:
        """A site holding only these suites and their validations (its index lists the pages
        found in its own folder)."""
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
        )
        from great_expectations.render.renderer.site_builder import SiteBuilder

        suite_ids = [ExpectationSuiteIdentifier(name=name) for name in gx_suites]
        validation_ids = [
            key
            for key in self._context.validation_results_store.list_keys()
            if key.expectation_suite_identifier.name in gx_suites
        ]
        # no identifiers would render every suite of the context: an index only, then
        config = data_docs_site_config(
            docs_dir, WarehouseLayout(self._warehouse_dir).data_docs_templates, bool(gx_suites)
        )
        builder = SiteBuilder(data_context=self._context, site_name=_DOCS_SITE, **config)
        builder.build(resource_identifiers=[*suite_ids, *validation_ids])
        share_folder(docs_dir / "static", _shared_static(self._warehouse_dir))


def run_suite(
    suite: SuiteDefinition, warehouse_dir: Path, window: Window, run_id: str
) -> SuiteOutcome:
    """One suite in a context of its own (the suite process runs a step's suites in one)."""
    return SuiteRunner(warehouse_dir, run_id).run(suite, window)
