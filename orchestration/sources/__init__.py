"""The six sources, one small package each: `extract.py` (or the shop's `api.py`, `orders.py`,
`catalog.py`) says how its API is called (auth, pagination, rate limit) and defines the extract
asset; `landing.py` declares what it lands (schemas, dedupe rules).

This package gathers the landing contract from the `landing.py` modules: `LANDING_DATASETS`,
source -> dataset -> Arrow schema, which the readers of the landing zone (dbt sources, the quality
suites, the Postgres loader) use. Importing it loads no extract and no Dagster: the quality
suites' child process reads the contract too. `lib/` never imports this package; what it needs
is passed in.
"""

from types import ModuleType

import pyarrow as pa

from orchestration.sources.ga4 import landing as ga4
from orchestration.sources.google_ads import landing as google_ads
from orchestration.sources.meta_ads import landing as meta_ads
from orchestration.sources.rfid import landing as rfid
from orchestration.sources.shop import landing as shop
from orchestration.sources.zendesk import landing as zendesk

#: Each source's `landing` module, in the order of the landing contract.
LANDING_MODULES: tuple[ModuleType, ...] = (shop, google_ads, meta_ads, rfid, zendesk, ga4)

#: source -> dataset -> schema. The keys are the folder names under landing/.
LANDING_DATASETS: dict[str, dict[str, pa.Schema]] = {
    module.SOURCE: {name: dataset.schema for name, dataset in module.DATASETS.items()}
    for module in LANDING_MODULES
}
