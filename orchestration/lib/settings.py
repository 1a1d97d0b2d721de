"""Every environment variable the pipeline reads: declared, documented and parsed here, only here.

Why one module: a variable read in several places drifts (an empty value meaning "default" in one
module and "empty" in another), and an operator cannot know what to set. `VARIABLES` declares each
variable once with its default and meaning; the README's table is generated from it
(`scripts/settings_table.py`), and reading a variable that is not declared is an error, so a new
variable cannot go undocumented. The rest of the package asks a `Settings` object typed questions
and never touches the process environment.

`load_settings()` takes one snapshot of the environment when a step, a resource or a command asks
for it, not at import: tests and deployments set variables before a run, and a step sees one
consistent view. Each value is parsed when it is asked for, so a malformed variable fails the step
that uses it (with an error naming it) rather than every step. An empty value is the same as an
unset one: the default.

Secrets stay in the snapshot (never in a repr) and travel only to the client that sends them.
Demo mode lives in `orchestration/demo.py`: nothing here knows the simulator, and no live default
is a simulator value.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable and the fix."""


@dataclass(frozen=True)
class Variable:
    """One environment variable: its default as an operator would write it ("" = none)."""

    name: str
    group: str
    default: str
    description: str


@dataclass(frozen=True)
class SourceEnv:
    """The environment variables of one source, and its path under the simulator's base URL.

    `credential_vars` are every account variable a live source needs besides its URL: secrets,
    account ids, and account settings with no sensible default (the id of Zendesk's order-number
    ticket field differs in every account; a guess would land tickets without their order).
    """

    url_var: str
    credential_vars: tuple[str, ...]
    demo_path: str

    @property
    def budget_var(self) -> str:
        """The variable that overrides this source's HTTP time budget (seconds per call)."""
        return self.url_var.removesuffix("URL") + "HTTP_BUDGET_SECONDS"


SOURCE_ENV: dict[str, SourceEnv] = {
    "shop": SourceEnv("SHOP_URL", ("SHOP_ACCESS_TOKEN",), "/shop"),
    "google_ads": SourceEnv(
        "GOOGLE_ADS_URL",
        ("GOOGLE_ADS_CUSTOMER_ID", "GOOGLE_ADS_DEVELOPER_TOKEN", "GOOGLE_ADS_ACCESS_TOKEN"),
        "/google-ads",
    ),
    "meta_ads": SourceEnv(
        "META_ADS_URL", ("META_AD_ACCOUNT_ID", "META_ACCESS_TOKEN"), "/meta/v25.0"
    ),
    "rfid": SourceEnv("EPCIS_URL", ("EPCIS_TOKEN",), "/epcis"),
    "zendesk": SourceEnv(
        "ZENDESK_URL",
        ("ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "ZENDESK_ORDER_FIELD_ID"),
        "/zendesk",
    ),
    "ga4": SourceEnv("GA4_URL", ("GA4_PROPERTY_ID", "GA4_ACCESS_TOKEN"), "/ga4"),
}

DEFAULT_SHOP_TIMEZONE = "Europe/Paris"
DEFAULT_SHOP_API_VERSION = "2026-10"
#: Ranges of at least this many days read Shopify orders with one bulk operation, not page by
#: page: a backfill then spends a few query-cost points instead of the bucket for hours.
DEFAULT_SHOPIFY_BULK_MIN_DAYS = 7
#: The newest version the current google-ads client library ships (it is also the library's
#: default): Google switches each version off about a year after release, the newest lasts longest.
DEFAULT_GOOGLE_ADS_API_VERSION = "v26"
DEFAULT_PIPELINE_START_DATE = "2025-01-01"
DEFAULT_RETENTION_RUNS = 14
DEFAULT_DEADLINE_HOUR = 9
DEFAULT_DUCKDB_THREADS = 2
#: The dbt targets of dbt_project/profiles.yml (DECISIONLOG "Engines").
DBT_TARGETS = ("duckdb", "postgres", "spark")
#: Names of variables whose values are secrets: scrubbed from every alert.
SECRET_NAME_SUFFIXES = ("TOKEN", "KEY", "SECRET", "PASSWORD", "DSN")
_TRUTHY = {"1", "true", "yes", "on"}

_SOURCE_LABELS = {
    "shop": "Shopify",
    "google_ads": "Google Ads",
    "meta_ads": "Meta",
    "rfid": "RFID (EPCIS 2.0)",
    "zendesk": "Zendesk",
    "ga4": "GA4",
}
_SOURCE_NOTES = {
    "SHOP_URL": "the shop, e.g. `https://<shop>.myshopify.com`",
    "SHOP_ACCESS_TOKEN": "Admin API access token of the custom app (secret)",
    "GOOGLE_ADS_URL": "e.g. `https://googleads.googleapis.com`",
    "GOOGLE_ADS_CUSTOMER_ID": "the account's customer id (digits)",
    "GOOGLE_ADS_DEVELOPER_TOKEN": "developer token (secret)",
    "GOOGLE_ADS_ACCESS_TOKEN": "OAuth access token (secret)",
    "META_ADS_URL": "with the Graph API version, e.g. `https://graph.facebook.com/v25.0`",
    "META_AD_ACCOUNT_ID": "the ad account id",
    "META_ACCESS_TOKEN": "system user access token (secret)",
    "EPCIS_URL": "the EPCIS 2.0 repository's base URL",
    "EPCIS_TOKEN": "bearer token (secret)",
    "ZENDESK_URL": "e.g. `https://<subdomain>.zendesk.com`",
    "ZENDESK_EMAIL": "the API user's e-mail",
    "ZENDESK_API_TOKEN": "API token (secret)",
    "ZENDESK_ORDER_FIELD_ID": "the id of the ticket field that holds the order number (Admin "
    "Center > Objects and rules > Tickets > Fields); it differs in every account",
    "GA4_URL": "e.g. `https://analyticsdata.googleapis.com`",
    "GA4_PROPERTY_ID": "the GA4 property id (digits)",
    "GA4_ACCESS_TOKEN": "OAuth access token (secret)",
}


def _source_variables() -> list[Variable]:
    variables = []
    for source, spec in SOURCE_ENV.items():
        for name in (spec.url_var, *spec.credential_vars):
            note = f"live mode: required; {_SOURCE_NOTES[name]}"
            variables.append(Variable(name, _SOURCE_LABELS[source], "", note))
    return variables


def _budget_variables() -> list[Variable]:
    return [
        Variable(
            spec.budget_var,
            "HTTP",
            "45",
            f"seconds one call to {_SOURCE_LABELS[source]} may take with its retries and waits",
        )
        for source, spec in SOURCE_ENV.items()
    ]


VARIABLES: tuple[Variable, ...] = (
    *_source_variables(),
    Variable("SHOP_API_VERSION", "Shopify", DEFAULT_SHOP_API_VERSION, "Admin API version"),
    Variable(
        "SHOP_COLOUR_OPTION_NAMES",
        "Shopify",
        "Colour, Color, Couleur, Farbe, Colore",
        "variant option names that mean colour (comma-separated)",
    ),
    Variable(
        "SHOP_SIZE_OPTION_NAMES",
        "Shopify",
        "Size, Taille, Größe, Taglia, Talla",
        "variant option names that mean size (comma-separated)",
    ),
    Variable(
        "SHOPIFY_BULK_MIN_DAYS",
        "Shopify",
        str(DEFAULT_SHOPIFY_BULK_MIN_DAYS),
        "runs of at least this many days read orders with one bulk operation",
    ),
    Variable(
        "GOOGLE_ADS_API_VERSION", "Google Ads", DEFAULT_GOOGLE_ADS_API_VERSION, "REST API version"
    ),
    *_budget_variables(),
    Variable(
        "WAREHOUSE_DIR",
        "pipeline",
        "./warehouse",
        "landing files, build database, publication, reports",
    ),
    Variable(
        "SHOP_TIMEZONE",
        "pipeline",
        DEFAULT_SHOP_TIMEZONE,
        "the shop's time zone: where business days start (extracts, dbt, schedule)",
    ),
    Variable(
        "PIPELINE_START_DATE", "pipeline", DEFAULT_PIPELINE_START_DATE, "the first daily partition"
    ),
    Variable(
        "RETENTION_RUNS",
        "pipeline",
        str(DEFAULT_RETENTION_RUNS),
        "runs whose Data Docs and KPI reports are kept",
    ),
    Variable(
        "FRESHNESS_DEADLINE_HOUR",
        "pipeline",
        str(DEFAULT_DEADLINE_HOUR),
        "hour (0-23, shop time) by which yesterday must be published",
    ),
    Variable(
        "PIPELINE_SCHEDULE_DEFAULT_ON",
        "pipeline",
        "",
        "`1`/`true`/`yes`/`on`: the daily schedule starts switched on",
    ),
    Variable(
        "ALERT_WEBHOOK_URL", "pipeline", "", "failed runs and stale data are POSTed here as JSON"
    ),
    Variable(
        "MAX_REJECT_RATE", "quality", "0.01", "largest share of rejected records a source may have"
    ),
    Variable(
        "MIN_VOLUME_RATIO", "quality", "", "overrides the suites' smallest day-over-day volume"
    ),
    Variable(
        "DUCKDB_MEMORY_LIMIT",
        "DuckDB",
        "",
        "memory of each DuckDB session (e.g. `512MB`); default: 512MB for daily runs, 1GB else",
    ),
    Variable("DUCKDB_THREADS", "DuckDB", str(DEFAULT_DUCKDB_THREADS), "threads of each session"),
    Variable(
        "DBT_DUCKDB_MEMORY_LIMIT",
        "DuckDB",
        "",
        "memory of dbt's DuckDB session; default: DUCKDB_MEMORY_LIMIT, else 256MB daily, 2GB else",
    ),
    Variable("DBT_THREADS", "DuckDB", "", "dbt threads; default: 1 for daily runs, 2 else"),
    Variable("DBT_TARGET", "dbt", "duckdb", f"dbt target: {', '.join(DBT_TARGETS)}"),
    Variable("RETAIL_DBT_PROJECT_DIR", "dbt", "./dbt_project", "another copy of the dbt project"),
    Variable(
        "DBT_KEEP_RUN_TARGETS", "dbt", "", "`1`: keep every run's dbt target folder (benchmarks)"
    ),
    Variable(
        "FORCE_REBUILD",
        "dbt",
        "",
        "`1`: check, build and publish even when their inputs are unchanged",
    ),
    Variable("DBT_POSTGRES_HOST", "dbt", "127.0.0.1", "target postgres: server host"),
    Variable("DBT_POSTGRES_PORT", "dbt", "5432", "target postgres: server port"),
    Variable("DBT_POSTGRES_USER", "dbt", "postgres", "target postgres: user"),
    Variable("DBT_POSTGRES_PASSWORD", "dbt", "", "target postgres: password"),
    Variable("DBT_POSTGRES_DBNAME", "dbt", "postgres", "target postgres: database"),
    Variable("DBT_POSTGRES_SSLMODE", "dbt", "prefer", "target postgres: libpq sslmode"),
    Variable("DBT_POSTGRES_SCHEMA", "dbt", "public", "target postgres: schema (dbt's profile)"),
    Variable("DBT_SPARK_SCHEMA", "dbt", "default", "target spark: schema (dbt's profile)"),
    Variable("SPARK_MASTER", "dbt", "local[2]", "target spark: `spark.master` (dbt's profile)"),
    Variable("SPARK_DRIVER_MEMORY", "dbt", "2g", "target spark: driver memory (dbt's profile)"),
    Variable(
        "SPARK_SHUFFLE_PARTITIONS", "dbt", "2", "target spark: shuffle partitions (dbt's profile)"
    ),
    Variable(
        "PUBLISH_POSTGRES_DSN", "publication", "", "also publish the marts to this PostgreSQL"
    ),
    Variable("PUBLISH_POSTGRES_SCHEMA", "publication", "marts", "schema of that publication"),
    Variable(
        "DAGSTER_HOME",
        "Dagster",
        "$WAREHOUSE_DIR/dagster_home",
        "Dagster's instance directory (run history)",
    ),
    Variable(
        "DAGSTER_IS_DEV_CLI",
        "Dagster",
        "",
        "set by `dagster dev`/`dg dev`: the dbt manifest is re-parsed when stale",
    ),
    Variable("DEMO_START", "demo", "", "`make demo`: first day (default: 3 months back)"),
    Variable("DEMO_END", "demo", "", "`make demo`: last day (default: yesterday)"),
    Variable("DEMO_DAYS", "demo", "", "`make demo`: the last N days instead"),
)
_DECLARED = {variable.name for variable in VARIABLES}


@dataclass(frozen=True)
class SourceSettings:
    url: str
    credentials: Mapping[str, str] = field(repr=False)  # secrets among them


@dataclass(frozen=True)
class DuckDbSettings:
    """The DuckDB budgets set in the environment; None: the run's default budget applies."""

    memory_limit: str | None
    threads: int
    dbt_memory_limit: str | None
    dbt_threads: int | None


@dataclass(frozen=True)
class Settings:
    """A snapshot of the environment with typed accessors; each parses when asked."""

    env: Mapping[str, str] = field(repr=False)

    def text(self, name: str) -> str:
        """The stripped value of a declared variable, "" when unset or empty."""
        if name not in _DECLARED:
            raise KeyError(f"{name} is not declared in orchestration/lib/settings.py VARIABLES")
        return (self.env.get(name) or "").strip()

    def _whole(self, name: str, default: int, low: int, high: int | None, what: str) -> int:
        raw = self.text(name)
        if not raw:
            return default
        if not raw.isdigit() or int(raw) < low or (high is not None and int(raw) > high):
            limit = f"{low}..{high}" if high is not None else f"{low} or more"
            raise ConfigError(f"{name}={raw} is not {what} ({limit}).")
        return int(raw)

    # sources
    def source_mode(self) -> str:
        """`demo` when no source URL is set, `live` when all are (with credentials), else a
        ConfigError naming every missing variable."""
        urls = {spec.url_var: self.text(spec.url_var) for spec in SOURCE_ENV.values()}
        if not any(urls.values()):
            return "demo"
        missing = [var for var, url in urls.items() if not url]
        missing += [v for s in SOURCE_ENV.values() for v in s.credential_vars if not self.text(v)]
        if missing:
            raise ConfigError(
                "Some source URLs are set and others are not, or credentials are missing: "
                f"set {', '.join(missing)} for live mode, or unset every source URL "
                f"({', '.join(urls)}) to run on the demo simulator."
            )
        return "live"

    def live_sources(self) -> dict[str, SourceSettings]:
        """Every source's URL and credentials; ConfigError unless the environment is live."""
        if self.source_mode() != "live":
            raise ConfigError("No source URL is set: live sources need every URL and credential.")
        return {
            name: SourceSettings(
                self.text(spec.url_var), {v: self.env[v] for v in spec.credential_vars}
            )
            for name, spec in SOURCE_ENV.items()
        }

    def http_budget_seconds(self, source: str) -> float | None:
        """The source's `<PREFIX>_HTTP_BUDGET_SECONDS`; None when unset."""
        var = SOURCE_ENV[source].budget_var
        raw = self.text(var)
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        if not value > 0:
            raise ConfigError(f"{var}={raw!r} is not a positive number of seconds.")
        return value

    @property
    def shop_api_version(self) -> str:
        return self.text("SHOP_API_VERSION") or DEFAULT_SHOP_API_VERSION

    @property
    def google_ads_api_version(self) -> str:
        return self.text("GOOGLE_ADS_API_VERSION") or DEFAULT_GOOGLE_ADS_API_VERSION

    @property
    def shopify_bulk_min_days(self) -> int:
        return self._whole(
            "SHOPIFY_BULK_MIN_DAYS",
            DEFAULT_SHOPIFY_BULK_MIN_DAYS,
            1,
            None,
            "a whole number of days: runs of at least that many days read Shopify orders with a "
            "bulk operation",
        )

    @property
    def shop_option_names(self) -> dict[str, str]:
        """The raw colour and size option-name lists by variable (sources/shop.py parses them)."""
        names = ("SHOP_COLOUR_OPTION_NAMES", "SHOP_SIZE_OPTION_NAMES")
        return {name: self.text(name) for name in names if self.text(name)}

    # pipeline
    @property
    def warehouse_dir(self) -> Path:
        """Absolute, because dbt resolves its profile from dbt_project/: a relative value would
        silently point at dbt_project/warehouse."""
        return Path(self.text("WAREHOUSE_DIR") or "warehouse").resolve()

    @property
    def shop_timezone(self) -> str:
        """Empty means the default, here for the extracts and the partitions, in dbt's profile
        by `env_var(...) or default`: all must cut days at the same midnight."""
        return self.text("SHOP_TIMEZONE") or DEFAULT_SHOP_TIMEZONE

    @property
    def pipeline_start_date(self) -> str:
        raw = self.text("PIPELINE_START_DATE") or DEFAULT_PIPELINE_START_DATE
        try:
            date.fromisoformat(raw)
        except ValueError:
            raise ConfigError(f"PIPELINE_START_DATE={raw!r} is not a date (YYYY-MM-DD).") from None
        return raw

    @property
    def retention_runs(self) -> int:
        return self._whole(
            "RETENTION_RUNS", DEFAULT_RETENTION_RUNS, 1, None, "a whole number of runs"
        )

    @property
    def freshness_deadline_hour(self) -> int:
        return self._whole(
            "FRESHNESS_DEADLINE_HOUR", DEFAULT_DEADLINE_HOUR, 0, 23, "an hour of the day"
        )

    @property
    def schedule_default_on(self) -> bool:
        return self.text("PIPELINE_SCHEDULE_DEFAULT_ON").lower() in _TRUTHY

    @property
    def alert_webhook_url(self) -> str | None:
        return self.text("ALERT_WEBHOOK_URL") or None

    def secret_env(self) -> dict[str, str]:
        """Every secret-named variable (declared or not: a deployment's own DSN or key) and the
        Zendesk e-mail, which with its token forms the basic-auth pair an error may echo."""
        secrets = {k: v for k, v in self.env.items() if k.upper().endswith(SECRET_NAME_SUFFIXES)}
        if self.env.get("ZENDESK_EMAIL"):
            secrets["ZENDESK_EMAIL"] = self.env["ZENDESK_EMAIL"]
        return secrets

    def quality_overrides(self, variables: Mapping[str, str]) -> dict[str, float]:
        """Suite parameter -> value, for each of `variables` (parameter -> variable) set."""
        overrides = {}
        for parameter, name in variables.items():
            raw = self.text(name)
            if raw:
                try:
                    overrides[parameter] = float(raw)
                except ValueError:
                    raise ConfigError(f"{name}={raw!r} is not a number.") from None
        return overrides

    # DuckDB and dbt
    @property
    def duckdb(self) -> DuckDbSettings:
        return DuckDbSettings(
            memory_limit=self.text("DUCKDB_MEMORY_LIMIT") or None,
            threads=self._threads("DUCKDB_THREADS") or DEFAULT_DUCKDB_THREADS,
            dbt_memory_limit=self.text("DBT_DUCKDB_MEMORY_LIMIT") or None,
            dbt_threads=self._threads("DBT_THREADS"),
        )

    def _threads(self, name: str) -> int | None:
        raw = self.text(name)
        if raw and (not raw.isdigit() or int(raw) < 1):
            raise ConfigError(f"{name}={raw!r}: expected a positive number of threads")
        return int(raw) if raw else None

    @property
    def dbt_target(self) -> str:
        target = self.text("DBT_TARGET").lower() or "duckdb"
        if target not in DBT_TARGETS:
            raise ConfigError(
                f"DBT_TARGET={self.env.get('DBT_TARGET')!r} is not a dbt target of this project: "
                f"set DBT_TARGET to one of {', '.join(DBT_TARGETS)} (default duckdb)."
            )
        return target

    @property
    def dbt_project_dir(self) -> Path | None:
        """RETAIL_DBT_PROJECT_DIR: another copy of the project (the benchmarks run a frozen
        snapshot, so that edits during a measurement neither re-parse nor change it)."""
        raw = self.text("RETAIL_DBT_PROJECT_DIR")
        return Path(raw) if raw else None

    @property
    def keep_dbt_run_targets(self) -> bool:
        return self.text("DBT_KEEP_RUN_TARGETS") == "1"

    @property
    def force_rebuild(self) -> bool:
        """FORCE_REBUILD=1: never skip the build of a run whose inputs are unchanged
        (orchestration/build_inputs.py), never reuse a landing suite's outcome
        (orchestration/quality/reuse.py)."""
        return self.text("FORCE_REBUILD") == "1"

    @property
    def dbt_postgres_dsn(self) -> str:
        """A libpq connection string from the variables of dbt's `postgres` profile output."""
        parts = {
            "host": self.text("DBT_POSTGRES_HOST") or "127.0.0.1",
            "port": self.text("DBT_POSTGRES_PORT") or "5432",
            "user": self.text("DBT_POSTGRES_USER") or "postgres",
            "dbname": self.text("DBT_POSTGRES_DBNAME") or "postgres",
            "sslmode": self.text("DBT_POSTGRES_SSLMODE") or "prefer",
        }
        if self.env.get("DBT_POSTGRES_PASSWORD"):
            parts["password"] = self.env["DBT_POSTGRES_PASSWORD"]
        return " ".join(f"{k}={v}" for k, v in parts.items())

    @property
    def publish_postgres(self) -> tuple[str, str] | None:
        """(DSN, schema) of the optional PostgreSQL publication."""
        dsn = self.text("PUBLISH_POSTGRES_DSN")
        return (dsn, self.text("PUBLISH_POSTGRES_SCHEMA") or "marts") if dsn else None

    # Dagster and the demo
    @property
    def dagster_home(self) -> Path | None:
        raw = self.text("DAGSTER_HOME")
        return Path(raw).resolve() if raw else None

    @property
    def dagster_dev(self) -> bool:
        return bool(self.text("DAGSTER_IS_DEV_CLI"))

    def demo_range(self) -> dict[str, str]:
        """DEMO_START / DEMO_END / DEMO_DAYS as set (the demo's argument defaults)."""
        return {
            name.removeprefix("DEMO_").lower(): self.text(name)
            for name in ("DEMO_START", "DEMO_END", "DEMO_DAYS")
            if self.text(name)
        }


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings of this process's environment now (or of `env`, for tests and tools)."""
    return Settings(dict(os.environ if env is None else env))


def child_environment(updates: Mapping[str, str]) -> dict[str, str]:
    """This process's environment with `updates`: for a child process (dbt, the demo's run)."""
    return {**os.environ, **updates}


@contextmanager
def process_environment(
    updates: Mapping[str, str], defaults: Mapping[str, str] | None = None
) -> Iterator[None]:
    """Set `updates` (and each of `defaults` not already set) in this process for the block,
    then restore what was there.

    For libraries that start a child with a copy of this process's environment and take no
    environment of their own (dagster-dbt's dbt process), and for the in-process executor and
    tests: the next step in this process must not inherit the window.
    """
    updates = {**{k: v for k, v in (defaults or {}).items() if k not in os.environ}, **updates}
    saved = {name: os.environ.get(name) for name in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def markdown_table() -> str:
    """The README's table of every variable (scripts/settings_table.py writes it)."""
    lines = ["| variable | group | default | meaning |", "|---|---|---|---|"]
    for variable in VARIABLES:
        default = f"`{variable.default}`" if variable.default else ""
        lines.append(
            f"| `{variable.name}` | {variable.group} | {default} | {variable.description} |"
        )
    return "\n".join(lines)
