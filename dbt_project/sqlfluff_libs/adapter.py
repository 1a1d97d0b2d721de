"""sqlfluff's jinja templater knows no dbt `adapter`.

`adapter.dispatch(name)(args)` renders as a plain function call `name(args)`, which is enough to
lint the SQL around it (dbt itself is not run by the linter). Macros that stand for something
other than an expression render as what the DuckDB target would produce:
- type names (`type_double()` -> `double`), so that `cast(x as {{ type_double() }})` parses;
- `create_landing_relations()` (a hook) -> nothing;
- `landed_partition_days(...)` (a query of the landed day partitions) -> a query of one date.
"""

LINT_RENDERINGS = {
    "type_double": "double",
    "type_text": "varchar",
    "create_landing_relations": "",
    "landed_partition_days": "select current_date as partition_date",
}


def dispatch(macro_name, macro_namespace=None):
    """Stand-in for dbt's `adapter.dispatch` (`macro_namespace` is accepted and ignored)."""

    def render(*args):
        if macro_name in LINT_RENDERINGS:
            return LINT_RENDERINGS[macro_name]
        return f"{macro_name}({', '.join(str(arg) for arg in args)})"

    return render
