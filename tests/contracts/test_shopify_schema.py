"""Every Shopify query document the extractor sends, validated against Shopify's own schema.

The oracle is Shopify's published Admin GraphQL introspection schema (see README.md), not the
simulator: unknown and deprecated fields fail, and so does any connection selected without the
`pageInfo` that lets the extractor follow it to the end.
"""

from __future__ import annotations

import graphql
import pytest
from graphql.validation import NoDeprecatedCustomRule

from orchestration.lib.config import DEFAULT_SHOP_API_VERSION
from orchestration.sources import shop
from tests.contracts.conftest import SHOPIFY_SCHEMA_VERSION

#: Every GraphQL document of the shop module (module-level `*_QUERY` strings).
QUERIES = {
    name: value
    for name, value in vars(shop).items()
    if name.endswith("_QUERY") and isinstance(value, str)
}


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


def test_the_default_version_is_the_vendored_schema() -> None:
    assert DEFAULT_SHOP_API_VERSION == SHOPIFY_SCHEMA_VERSION


def test_every_query_of_the_extractor_is_collected() -> None:
    assert {"ORDERS_QUERY", "ORDER_LINE_ITEMS_QUERY", "VARIANTS_QUERY"} <= set(QUERIES)


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
