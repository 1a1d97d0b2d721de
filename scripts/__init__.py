"""Developer tools: `make` helpers and what the tests share with them (never shipped: the
wheel holds `orchestration` and `simulator` only)."""
