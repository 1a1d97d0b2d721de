"""The deployment examples of deploy/ (docs/deploy.md) load: YAML parses, the Dagster instance
files validate against dagster's instance config schema, the dbt profiles render with dbt's
profile renderer and carry what their adapter requires."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"

INSTANCE_FILES = ["dagster.k8s.yaml", "dagster.celery.yaml"]
FAKE_ENV = {
    "DAGSTER_PG_HOST": "db.example.internal",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_PG_USER": "dagster",
    "DAGSTER_PG_PASSWORD": "x",
    "DAGSTER_PG_URL": "postgresql://dagster:x@db.example.internal:5432/dagster",
    "DAGSTER_LOGS_BUCKET": "logs",
    "DATABRICKS_HOST": "adb-1.azuredatabricks.net",
    "DATABRICKS_HTTP_PATH": "/sql/1.0/warehouses/abc",
    "DATABRICKS_TOKEN": "dapi-x",
    "SPARK_THRIFT_HOST": "emr-primary.example.internal",
    "DBT_TARGET": "databricks",
}

#: Required profile keys per adapter type (dbt-databricks / dbt-spark / dbt-postgres / dbt-duckdb
#: credentials without defaults; dbt-databricks is not installed here, so its list is written out).
REQUIRED_KEYS = {
    "databricks": {"host", "http_path", "token", "schema"},
    "spark": {"method", "host", "schema"},
    "postgres": {"host", "port", "user", "password", "dbname", "schema"},
    "duckdb": {"path"},
}


@pytest.fixture
def fake_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.mark.parametrize("path", sorted(DEPLOY.glob("*.y*ml")), ids=lambda p: p.name)
def test_yaml_parses(path: Path) -> None:
    assert isinstance(yaml.safe_load(path.read_text()), dict)


@pytest.mark.parametrize("name", INSTANCE_FILES)
def test_dagster_instance_config_validates(name: str, tmp_path: Path, fake_env: None) -> None:
    from dagster._core.instance.config import dagster_instance_config

    shutil.copy(DEPLOY / name, tmp_path / "dagster.yaml")
    config, custom_class = dagster_instance_config(str(tmp_path))
    assert custom_class is None
    assert "postgres" in config["storage"]


def test_k8s_instance_launches_runs_on_kubernetes() -> None:
    config = yaml.safe_load((DEPLOY / "dagster.k8s.yaml").read_text())
    assert config["run_launcher"]["module"] == "dagster_k8s"
    assert config["run_launcher"]["class"] == "K8sRunLauncher"


def test_helm_values_shape() -> None:
    values = yaml.safe_load((DEPLOY / "helm-values.yaml").read_text())
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["dagsterDaemon"]["enabled"] is True
    assert values["postgresql"]["enabled"] is False  # external PostgreSQL run storage
    deployment = values["dagster-user-deployments"]["deployments"][0]
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", "orchestration.definitions"]


def _rendered_outputs(path: Path) -> dict[str, dict]:
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    set_invocation_context(dict(os.environ))  # what dbt's CLI does before rendering env_var()
    raw = yaml.safe_load(path.read_text())
    (profile,) = raw.values()
    rendered = ProfileRenderer({}).render_data(profile)
    return rendered["outputs"]


@pytest.mark.parametrize(
    "path", [DEPLOY / "profiles.databricks.yml", REPO_ROOT / "dbt_project" / "profiles.yml"]
)
def test_dbt_profiles_render_with_required_keys(path: Path, fake_env: None) -> None:
    outputs = _rendered_outputs(path)
    assert outputs
    for name, output in outputs.items():
        missing = REQUIRED_KEYS[output["type"]] - set(output)
        if output["type"] == "postgres":
            missing -= {"password"}  # trust / .pgpass auth: the repo profile renders '' then
        assert not missing, f"{path.name}:{name} lacks {sorted(missing)}"


def test_installed_adapters_accept_the_profiles(fake_env: None) -> None:
    """Where the adapter is installed, its credentials class validates the rendered output."""
    from dbt.adapters.postgres.connections import PostgresCredentials
    from dbt.adapters.spark.connections import SparkCredentials

    classes = {"postgres": PostgresCredentials, "spark": SparkCredentials}
    outputs = {
        **_rendered_outputs(DEPLOY / "profiles.databricks.yml"),
        **_rendered_outputs(REPO_ROOT / "dbt_project" / "profiles.yml"),
    }
    checked = 0
    for output in outputs.values():
        credentials_class = classes.get(output["type"])
        if credentials_class is None:
            continue
        data = credentials_class.translate_aliases(  # dbname -> database, as dbt does
            {k: v for k, v in output.items() if k not in ("type", "threads")}
        )
        if output["type"] == "spark":
            data.setdefault("database", data["schema"])  # dbt-spark: database = schema
        credentials_class.validate(data)  # the adapter's JSON schema of its credentials
        if output.get("method") != "thrift":  # thrift's __post_init__ wants PyHive installed
            credentials_class.from_dict(data)
        checked += 1
    assert checked >= 3  # emr (spark thrift), repo postgres, repo spark session
