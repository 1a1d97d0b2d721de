"""sqlfluff's jinja templater knows no dbt `adapter`: `adapter.dispatch(name)(args)` renders as a
plain function call `name(args)`, which is enough to lint the SQL around it (dbt itself is not run)."""


def dispatch(macro_name, macro_namespace=None):  # noqa: ARG001 - same signature as dbt's
    def render(*args):
        return f"{macro_name}({', '.join(str(arg) for arg in args)})"

    return render
