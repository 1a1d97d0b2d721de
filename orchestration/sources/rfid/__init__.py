"""RFID store stock (GS1 EPCIS 2.0 query interface).

`extract.py` calls the API (auth, pagination, rate limit) and defines the extract asset;
`landing.py` declares what lands (schemas, dedupe rules).
"""
