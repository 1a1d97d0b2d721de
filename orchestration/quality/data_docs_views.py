"""Great Expectations' Data Docs page views, with their Jinja templates compiled once.

Why: GE builds a new Jinja environment for every page view it instantiates, and a Data Docs
build instantiates one per site section; each environment compiles the ~50 templates of a page
from source. Rendering the Data Docs of the 20 mart suites spent 11 of its 12.7 seconds in
Jinja's compiler (cProfile, bench/README.md). These views are GE's own with a bytecode cache
on their environment: Jinja stores each compiled template under `template_cache_dir` and
reuses it while the template's source is unchanged (it checks the source's checksum and the
Python version), in this process and the next. The HTML is the same.

GE instantiates them from the site configuration (`runner.data_docs_site_config`), which passes
`template_cache_dir`; this module imports GE, so only the suite process imports it.
"""

from __future__ import annotations

from pathlib import Path

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import Environment, FileSystemBytecodeCache


class _CompiledTemplates:
    """Gives a GE view's Jinja environment the bytecode cache in `template_cache_dir`."""

    env: Environment

    def __init__(
        self,
        template_cache_dir: str,
        custom_styles_directory: str | None = None,
        custom_views_directory: str | None = None,
    ) -> None:
        super().__init__(custom_styles_directory, custom_views_directory)  # type: ignore[call-arg]
        self.env.bytecode_cache = _bytecode_cache(template_cache_dir)


class CachedJinjaPageView(_CompiledTemplates, DefaultJinjaPageView):
    """The page of one suite or one validation result."""


class CachedJinjaIndexPageView(_CompiledTemplates, DefaultJinjaIndexPageView):
    """The site's index page."""


def _bytecode_cache(directory: str) -> FileSystemBytecodeCache:
    Path(directory).mkdir(parents=True, exist_ok=True)
    return FileSystemBytecodeCache(directory)
