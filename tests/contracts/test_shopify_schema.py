"""Every Shopify query document the extractor sends, validated against Shopify's own schema.

The oracle is Shopify's published Admin GraphQL introspection schema (see README.md), not the
simulator: unknown and deprecated fields fail, and so does any connection selected without the
`pageInfo` that lets the extractor follow it to the end.
"""

from __future__ import annotations

from datetime import date

import graphql
import pytest
from graphql.validation import NoDeprecatedCustomRule

from orchestration.lib.settings import DEFAULT_SHOP_API_VERSION
from orchestration.sources.shop import bulk, catalog
from orchestration.sources.shop import orders as orders_src
from tests.contracts.conftest import SHOPIFY_SCHEMA_VERSION

#: Every GraphQL document the extractor sends (module-level `*_QUERY` and `*_MUTATION` strings).
QUERIES = {
    name: value
    for module in (orders_src, catalog, bulk)
    for name, value in vars(module).items()
    if name.endswith(("_QUERY", "_MUTATION")) and isinstance(value, str)
}
#: The query a backfill hands to `bulkOperationRunQuery`, as sent for a real range.
BULK_ORDERS = orders_src.bulk_orders_query(
    orders_src.orders_filter(date(2026, 1, 1), date(2026, 3, 31), "Europe/Paris")
)


def connections_without_page_info(
    schema: graphql.GraphQLSchema, document: graphql.DocumentNode
) -> list[str]:
    """Paths of fields whose type is a `...Connection` but that do not select
    `pageInfo { hasNextPage endCursor }`: such a connection is silently cut at its first page."""
    type_info = graphql.TypeInfo(schema)
    missing: list[str] = []

    class Visitor(graphql.Visitor):
        def enter_field(self, node: graphql.FieldNode, *_args: object) -> None:
            field_type = type_info.get_type()
            named = graphql.get_named_type(field_type) if field_type else None
            if named is None or not named.name.endswith("Connection"):
                return
            selected = {
                s.name.value: s
                for s in (node.selection_set.selections if node.selection_set else ())
                if isinstance(s, graphql.FieldNode)
            }
            page_info = selected.get("pageInfo")
            fields = {
                s.name.value
                for s in (page_info.selection_set.selections if page_info else ())
                if isinstance(s, graphql.FieldNode)
            }
            if not {"hasNextPage", "endCursor"} <= fields:
                missing.append(f"{node.name.value}: {named.name}")

    graphql.visit(document, graphql.TypeInfoVisitor(type_info, Visitor()))
    return missing


def bulk_query_violations(
    schema: graphql.GraphQLSchema, document: graphql.DocumentNode
) -> list[str]:
    """What Shopify's bulk operations refuse (its bulk query guide, "Limitations"): more than
    five connections, connections nested more than two deep, a connection inside a list field,
    the top-level `node`/`nodes`; and what makes no sense in bulk: `first`/`after`/`pageInfo`
    (Shopify reads every connection to the end) or a connection not read through `edges`."""
    type_info = graphql.TypeInfo(schema)
    problems: list[str] = []
    connections: list[str] = []
    stack: list[str] = []  # per enclosing field: "connection", "list" or "object"

    class Visitor(graphql.Visitor):
        def enter_field(self, node: graphql.FieldNode, *_args: object) -> None:
            name, field_type = node.name.value, type_info.get_type()
            named = graphql.get_named_type(field_type) if field_type else None
            if not stack and name in ("node", "nodes"):
                problems.append(f"top-level {name}")
            if name == "pageInfo" or {a.name.value for a in node.arguments} & {"first", "after"}:
                problems.append(f"{name}: paging in a bulk query")
            kind = "object"
            if named is not None and named.name.endswith("Connection"):
                kind = "connection"
                connections.append(name)
                if "list" in stack:
                    problems.append(f"{name}: a connection inside a list field")
                if stack.count("connection") >= 2:
                    problems.append(f"{name}: connections nested more than two deep")
                selected = {
                    s.name.value
                    for s in (node.selection_set.selections if node.selection_set else ())
                    if isinstance(s, graphql.FieldNode)
                }
                if selected != {"edges"}:
                    problems.append(f"{name}: select edges {{ node }}, not {sorted(selected)}")
            elif stack and stack[-1] == "connection" and name == "edges":
                kind = "edges"  # a connection's own list: its nodes, not a list field
            elif field_type is not None and graphql.is_list_type(
                graphql.get_nullable_type(field_type)
            ):
                kind = "list"
            stack.append(kind)

        def leave_field(self, *_args: object) -> None:
            stack.pop()

    graphql.visit(document, graphql.TypeInfoVisitor(type_info, Visitor()))
    if len(connections) > 5:
        problems.append(f"{len(connections)} connections (at most 5)")
    return problems


def test_the_bulk_orders_query_is_valid_and_uses_no_deprecated_field(
    shopify_schema: graphql.GraphQLSchema,
) -> None:
    document = graphql.parse(BULK_ORDERS)
    errors = graphql.validate(
        shopify_schema, document, [*graphql.specified_rules, NoDeprecatedCustomRule]
    )
    assert [e.message for e in errors] == []


def test_the_bulk_orders_query_is_one_shopify_runs_in_bulk(
    shopify_schema: graphql.GraphQLSchema,
) -> None:
    assert bulk_query_violations(shopify_schema, graphql.parse(BULK_ORDERS)) == []


def test_the_bulk_checks_catch_what_shopify_refuses(shopify_schema: graphql.GraphQLSchema) -> None:
    """The paged orders query (paging, a connection in the `refunds` list) is no bulk query."""
    problems = bulk_query_violations(shopify_schema, graphql.parse(orders_src.ORDERS_QUERY))
    assert "refundLineItems: a connection inside a list field" in problems
    assert "pageInfo: paging in a bulk query" in problems
    deep = graphql.parse(
        "{ products { edges { node { variants { edges { node { inventoryItem {"
        " inventoryLevels { edges { node { id } } } } } } } } } } }"
    )
    assert bulk_query_violations(shopify_schema, deep) == [
        "inventoryLevels: connections nested more than two deep"
    ]


def test_bulk_operations_are_polled_by_id_not_by_the_deprecated_field(
    shopify_schema: graphql.GraphQLSchema,
) -> None:
    """`currentBulkOperation` is deprecated in the schema: the poll asks `bulkOperation(id:)`."""
    assert shopify_schema.query_type.fields["currentBulkOperation"].deprecation_reason
    assert "bulkOperation(id: $id)" in bulk.BULK_OPERATION_QUERY
    assert "groupObjects: true" in bulk.BULK_RUN_MUTATION


def test_the_default_version_is_the_vendored_schema() -> None:
    assert DEFAULT_SHOP_API_VERSION == SHOPIFY_SCHEMA_VERSION


def test_every_query_of_the_extractor_is_collected() -> None:
    assert {
        "ORDERS_QUERY",
        "ORDER_LINE_ITEMS_QUERY",
        "ORDER_REFUNDS_QUERY",
        "VARIANTS_QUERY",
        "BULK_RUN_MUTATION",
        "BULK_OPERATION_QUERY",
    } <= set(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_is_valid_and_uses_no_deprecated_field(
    shopify_schema: graphql.GraphQLSchema, name: str
) -> None:
    document = graphql.parse(QUERIES[name])
    errors = graphql.validate(
        shopify_schema, document, [*graphql.specified_rules, NoDeprecatedCustomRule]
    )
    assert [e.message for e in errors] == []


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_connection_selects_page_info(
    shopify_schema: graphql.GraphQLSchema, name: str
) -> None:
    document = graphql.parse(QUERIES[name])
    assert connections_without_page_info(shopify_schema, document) == []


def test_the_checks_catch_what_they_are_for(shopify_schema: graphql.GraphQLSchema) -> None:
    """The rules themselves against known-bad documents: an unknown field, a deprecated field,
    and a connection read without pageInfo."""
    unknown = graphql.parse("{ shop { taxesIncludedd } }")
    assert graphql.validate(shopify_schema, unknown)
    deprecated = graphql.parse('{ order(id: "gid://shopify/Order/1") { landingPageUrl } }')
    rules = [*graphql.specified_rules, NoDeprecatedCustomRule]
    messages = [e.message for e in graphql.validate(shopify_schema, deprecated, rules)]
    assert any("deprecated" in m for m in messages)
    cut = graphql.parse("{ productVariants(first: 5) { nodes { id } } }")
    assert connections_without_page_info(shopify_schema, cut) == [
        "productVariants: ProductVariantConnection"
    ]
