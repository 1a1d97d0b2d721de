"""Every warehouse path comes from WarehouseLayout: a folder renamed or moved in one module only
would leave the others reading or writing the old place (an old warehouse half-migrated)."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

from orchestration.lib.paths import WarehouseLayout

ORCHESTRATION = Path(__file__).resolve().parents[2] / "orchestration"
PATHS_MODULE = ORCHESTRATION / "lib" / "paths.py"

#: Folders of a warehouse: hand-built when joined to a path (`x / "build"`, `Path("published")`);
#: elsewhere the words mean other things (asset keys, dbt's `build`, metadata labels).
WAREHOUSE_FOLDERS = frozenset(
    {
        "landing",
        "build",
        "quality",
        "data_docs",
        "published",
        "parquet",
        "reports",
        "picking",
        "dbt_runs",
        "dbt_partial_parse",
        "dagster_home",
    }
)
#: Names that only ever mean a place in the warehouse: hand-built wherever they are written.
WAREHOUSE_NAMES = frozenset(
    {
        "warehouse.duckdb",
        "marts.duckdb",
        "build.lease",
        "day_ledger.json",
        "spark-warehouse",
    }
)


def _first_part(value: str) -> str:
    return value.strip("/").split("/")[0]


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring constants (prose may name the folders)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _is_folder_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _first_part(node.value) in WAREHOUSE_FOLDERS
    if isinstance(node, ast.JoinedStr) and node.values:
        head = node.values[0]
        return isinstance(head, ast.Constant) and _first_part(str(head.value)) in WAREHOUSE_FOLDERS
    return False


def hand_built_paths(source: str) -> list[int]:
    """Line numbers where `source` builds a warehouse path without WarehouseLayout."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            if _is_folder_literal(node.left) or _is_folder_literal(node.right):
                lines.append(node.lineno)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Path":
            if any(_is_folder_literal(arg) for arg in node.args):
                lines.append(node.lineno)
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if any(f"/{folder}/" in text for folder in WAREHOUSE_FOLDERS):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and any(name in node.value.split("/") for name in WAREHOUSE_NAMES)
        ):
            lines.append(node.lineno)
    return sorted(set(lines))


def test_the_scan_finds_each_way_of_building_a_path_by_hand() -> None:
    source = '''
"""Docstring naming build/warehouse.duckdb is prose."""
a = root / "landing" / source
b = Path("published") / "x"
c = f"{root}/build/tmp"
d = "day_ledger.json"
e = ["landing", "shop_catalog"]
f = dbt(["build", "--select", "x"])
'''
    assert hand_built_paths(source) == [3, 4, 5, 6]


def test_no_module_builds_a_warehouse_path_by_hand() -> None:
    offenders = {
        f"{path.relative_to(ORCHESTRATION.parent)}:{line}"
        for path in sorted(ORCHESTRATION.rglob("*.py"))
        if path != PATHS_MODULE
        for line in hand_built_paths(path.read_text(encoding="utf-8"))
    }
    assert offenders == set(), "use orchestration.lib.paths.WarehouseLayout"


def test_layout_paths_are_those_of_existing_warehouses(tmp_path: Path) -> None:
    """Spelled out by hand: a warehouse made before the layout object keeps working."""
    layout = WarehouseLayout(tmp_path)
    expected = {
        layout.landing: "landing",
        layout.landing_dataset("shop", "orders"): "landing/shop/orders",
        layout.landing_rejects("shop", "orders"): "landing/shop/_rejects/orders",
        layout.landing_file("shop", "orders", date(2026, 3, 1)): (
            "landing/shop/orders/date=2026-03-01/data.parquet"
        ),
        layout.build: "build",
        layout.build_database: "build/warehouse.duckdb",
        layout.build_tmp: "build/tmp",
        layout.build_lease: "build/build.lease",
        layout.day_ledger: "build/day_ledger.json",
        layout.suite_outcomes_record: "build/suite_outcomes.json",
        layout.spark_warehouse: "build/spark-warehouse",
        layout.dbt_runs: "build/dbt_runs",
        layout.dbt_partial_parse: "build/dbt_partial_parse",
        layout.data_docs: "quality/data_docs",
        layout.published: "published",
        layout.published_marts: "published/marts.duckdb",
        layout.published_spare: "published/.marts.duckdb.spare",
        layout.published_parquet: "published/parquet",
        layout.reports: "published/reports",
        layout.picking_sheets: "published/picking",
        layout.published_docs_index: "published/docs/index.html",
        layout.dagster_home: "dagster_home",
        layout.logs: "logs",
    }
    assert {path: path.relative_to(tmp_path).as_posix() for path in expected} == expected
