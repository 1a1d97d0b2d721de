"""dagster-dbt wiring: the dbt project (project.py), one translator (translator.py), the
`@dbt_assets` (assets.py) and the pure partition-window -> `--vars` function (vars.py)."""
