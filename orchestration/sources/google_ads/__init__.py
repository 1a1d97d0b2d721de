"""Google Ads daily spend (REST `googleAds:search`).

`extract.py` calls the API (auth, pagination, rate limit) and defines the extract asset;
`landing.py` declares what lands (schemas, dedupe rules).
"""
