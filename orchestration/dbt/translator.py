"""How dbt nodes become Dagster assets: one translator, overriding `get_asset_spec` only.

dagster-dbt's defaults are kept: the asset key of a dbt source comes from its
`meta.dagster.asset_key` (the extract asset that lands it, so lineage reads extract -> staging
without an orphan stub), descriptions and column schemas from the dbt YAML, kinds `dbt` +
`duckdb`, code versions from the SQL, dbt tests as asset checks, and the group from
`meta.dagster.group`. That group is declared in dbt, per folder in dbt_project.yml
(models/staging/zendesk -> retention), per model where a folder mixes journeys (marts/core).
What is added here: the owners of each journey group, a `layer` tag and the docs link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from orchestration.lib.paths import published_docs_index, warehouse_dir

# Journey group -> owners (Dagster accepts e-mails or `team:` names). The extracts and the
# publication use the same groups, so the UI's group view follows the customer journey.
JOURNEY_OWNERS: dict[str, list[str]] = {
    "acquisition": ["team:acquisition"],
    "conversion": ["team:conversion"],
    "retention": ["team:retention"],
    "stores": ["team:stores"],
}


class MissingJourneyGroup(ValueError):
    """A dbt model or seed for which neither its folder nor itself declares a journey group."""


def journey_group(resource_props: Mapping[str, Any]) -> str:
    """The customer-journey group dbt declares for a node (`meta.dagster.group`, inherited from
    its folder in dbt_project.yml); a node without one is an error, never a guess."""
    meta = resource_props.get("config", {}).get("meta") or resource_props.get("meta") or {}
    group = (meta.get("dagster") or {}).get("group")
    if not group:
        path = resource_props.get("original_file_path", resource_props.get("name"))
        raise MissingJourneyGroup(
            f"dbt {resource_props.get('resource_type', 'node')} {path} has no journey group: give "
            "its folder (or the model) `+meta: {dagster: {group: ...}}` in dbt_project.yml, one "
            f"of {', '.join(JOURNEY_OWNERS)}"
        )
    return str(group)


def docs_url(unique_id: str) -> str:
    """The node's page in the dbt documentation the pipeline publishes (orchestration/dbt/docs.py:
    published/docs/index.html, routed on the URL fragment)."""
    site = published_docs_index(warehouse_dir()).as_uri()
    return f"{site}#!/{unique_id.split('.')[0]}/{unique_id}"


def dbt_layer(resource_props: Mapping[str, Any]) -> str:
    """`staging`, `intermediate`, `marts` (the first folder under models/), or the resource
    type for seeds and snapshots."""
    if resource_props.get("resource_type") != "model":
        return str(resource_props.get("resource_type", "dbt"))
    fqn = resource_props.get("fqn", [])
    return fqn[1] if len(fqn) > 2 else "models"


class RetailDbtTranslator(DagsterDbtTranslator):
    """Journey groups, owners and layer tags on top of dagster-dbt's defaults."""

    def get_asset_spec(
        self,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            # A source's spec stands for the extract asset that produces it (same key): that
            # asset, not dbt, owns its group, owners and kinds.
            return spec
        group = journey_group(props)
        return spec.replace_attributes(
            group_name=group,
            owners=list(spec.owners) or JOURNEY_OWNERS.get(group, []),
        ).merge_attributes(
            tags={"layer": dbt_layer(props)},
            metadata={"dbt_docs": dg.MetadataValue.url(docs_url(unique_id))},
        )


translator = RetailDbtTranslator(
    settings=DagsterDbtTranslatorSettings(
        enable_asset_checks=True,
        enable_code_references=True,
        # One extract lands several datasets (landing/shop_orders: orders, order_lines,
        # refund_lines, fulfillments), so several dbt source tables share its asset key.
        enable_duplicate_source_asset_keys=True,
    )
)
