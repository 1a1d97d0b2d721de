"""Shopify bulk operations: run a query in the background, poll it, download its JSONL result.

How Shopify reads history without paging through the cost bucket: `bulkOperationRunQuery` costs
a few points whatever the query returns; Shopify runs it and hands out a pre-signed link to a
JSONL file, one object per line, where every node of a nested connection is its own line
pointing at its parent with `__parentId`. The operation is polled with `bulkOperation(id:)`:
`currentBulkOperation` is deprecated since Shopify allows several bulk operations at a time.

The objects are asked for grouped (`groupObjects: true`), so a parent's children come right
after it: the file is read line by line and each top-level object is handed on, its children put
back as `{"nodes": [...]}` connections, without ever holding the whole file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from orchestration.lib.http import ApiClient, ApiError

BULK_RUN_MUTATION = """
mutation BulkRun($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: true) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""
BULK_OPERATION_QUERY = """
query BulkOperation($id: ID!) {
  bulkOperation(id: $id) {
    id status errorCode objectCount rootObjectCount fileSize url partialDataUrl
  }
}
"""
RUNNING = frozenset({"CREATED", "RUNNING"})
#: Polls start fast (a small range is done in seconds) and slow down to this interval.
POLL_MAX_SECONDS = 10.0
#: How long a run waits for one operation; Shopify itself gives up after 10 days.
WAIT_MAX_SECONDS = 6 * 3600.0
#: Why an operation ended without a file, and what to do about it.
ENDINGS = {
    "ACCESS_DENIED": (
        "the app lacks an access scope the query needs (read_orders, and read_all_orders for "
        "orders older than 60 days): grant it to the app"
    ),
    "CANCELED": "someone canceled it (bulkOperationCancel): run the extract again",
    "EXPIRED": "its result link expired (Shopify keeps results 7 days): run the extract again",
    "TIMEOUT": "Shopify stopped it as too long: backfill a shorter range",
}


class BulkOperationError(ApiError):
    """A bulk operation that could not start or ended without a result."""


def run_bulk_query(client: ApiClient, path: str, document: str) -> str | None:
    """Start `document` as a bulk operation and wait for it; the result's URL (None: no rows)."""
    data = client.graphql(path, BULK_RUN_MUTATION, {"query": document})
    payload = data.get("bulkOperationRunQuery") or {}
    errors = payload.get("userErrors") or []
    operation = payload.get("bulkOperation") or {}
    if errors or not operation.get("id"):
        codes = {e.get("code") for e in errors}
        messages = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
        busy = codes & {"OPERATION_IN_PROGRESS", "LIMIT_REACHED"}
        hint = " (another bulk operation of this app is running: wait for it)" if busy else ""
        raise BulkOperationError(
            client.source,
            "POST",
            client.url(path),
            200,
            f"Shopify refused the bulk operation: {messages or 'no operation id'}{hint}",
            permanent=not busy,
        )
    return _wait(client, path, operation["id"])


def _wait(client: ApiClient, path: str, operation_id: str) -> str | None:
    """Poll until the operation ends; its URL when COMPLETED, else a BulkOperationError."""
    started, attempt = time.monotonic(), 0
    while True:
        operation = client.graphql(path, BULK_OPERATION_QUERY, {"id": operation_id})
        operation = operation.get("bulkOperation") or {}
        status = operation.get("status")
        if status == "COMPLETED":
            return operation.get("url")
        if status not in RUNNING:
            raise _ended(client, path, operation_id, operation)
        if time.monotonic() - started > WAIT_MAX_SECONDS:
            detail = (
                f"Shopify bulk operation {operation_id} still {status} after "
                f"{WAIT_MAX_SECONDS / 3600:g} h: backfill a shorter range"
            )
            raise BulkOperationError(client.source, "POST", client.url(path), 200, detail)
        time.sleep(min(POLL_MAX_SECONDS, client.settings.backoff(attempt)))
        attempt += 1


def _ended(
    client: ApiClient, path: str, operation_id: str, operation: Mapping[str, Any]
) -> BulkOperationError:
    status, code = operation.get("status") or "unknown", operation.get("errorCode")
    why = ENDINGS.get(code or "") or ENDINGS.get(status) or "Shopify gives no reason"
    state = f"{status} (errorCode {code})" if code else status
    detail = f"Shopify bulk operation {operation_id} ended {state}: {why}"
    if operation.get("partialDataUrl"):
        detail += "; partial data exists but is not landed"
    permanent = code == "ACCESS_DENIED" or status == "CANCELED"
    return BulkOperationError(
        client.source, "POST", client.url(path), 200, detail, permanent=permanent
    )


def bulk_objects(
    client: ApiClient, jsonl: Path, connections: Mapping[str, str]
) -> Iterator[dict[str, Any]]:
    """The top-level objects of a grouped bulk JSONL file, children put back in their parents.

    `connections` maps a child's type, as its gid names it (`gid://shopify/LineItem/1` ->
    `LineItem`), to its parent's connection field (`lineItems`): the child lands in
    `parent[field]["nodes"]`, in file order. A child whose parent is not the object being read
    (an ungrouped file) or of an unknown type is an error naming the line.
    """
    family: dict[str, dict[str, Any]] = {}  # the current top-level object and its descendants
    top: dict[str, Any] | None = None
    with jsonl.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            item = _parse(client, jsonl, number, line)
            parent_id = item.pop("__parentId", None)
            if parent_id is None:
                if top is not None:
                    yield top
                top = item
                family = {str(item.get("id")): item}
                continue
            parent = family.get(parent_id)
            field = connections.get(_gid_type(item.get("id")))
            if parent is None or field is None:
                problem = (
                    f"its parent {parent_id} is not the object being read (the file must be "
                    "grouped: groupObjects: true)"
                    if parent is None
                    else f"no connection is expected for {item.get('id')!r}"
                )
                raise _bad_line(client, jsonl, number, problem)
            parent.setdefault(field, {"nodes": []})["nodes"].append(item)
            family[str(item.get("id"))] = item
    if top is not None:
        yield top


def _parse(client: ApiClient, jsonl: Path, number: int, line: str) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except ValueError:
        raise _bad_line(client, jsonl, number, "not JSON") from None
    if not isinstance(item, dict):
        raise _bad_line(client, jsonl, number, "not a JSON object")
    return item


def _gid_type(gid: Any) -> str:
    """`gid://shopify/LineItem/1` -> `LineItem` ('' when it is no gid)."""
    parts = str(gid or "").split("/")
    return parts[3] if len(parts) > 4 and parts[:3] == ["gid:", "", "shopify"] else ""


def _bad_line(client: ApiClient, jsonl: Path, number: int, problem: str) -> BulkOperationError:
    return BulkOperationError(
        client.source,
        "GET",
        "bulk-result.jsonl",
        200,
        f"Shopify bulk result {jsonl.name}, line {number}: {problem}",
        permanent=True,
    )
