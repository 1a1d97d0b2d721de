"""Web sessions (GA4 Data API `runReport`).

`extract.py` calls the API (auth, pagination, rate limit) and defines the extract asset;
`landing.py` declares what lands (schemas, dedupe rules).
"""
