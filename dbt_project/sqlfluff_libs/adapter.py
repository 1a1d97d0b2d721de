"""sqlfluff's jinja templater knows no dbt `adapter`.

`adapter.dispatch(name)(args)` renders as a plain function call `name(args)`, which is enough to
lint the SQL around it (dbt itself is not run by the linter).
"""


def dispatch(macro_name, macro_namespace=None):
    """Stand-in for dbt's `adapter.dispatch` (`macro_namespace` is accepted and ignored)."""

    def render(*args):
        return f"{macro_name}({', '.join(str(arg) for arg in args)})"

    return render
