"""The six sources, one module (or small package) each: how its API is called (auth, pagination,
rate limit), what it lands (schemas, dedupe rules) and its extract asset, declared together.

This package also gathers the landing contract from them: `LANDING_DATASETS`, source -> dataset
-> Arrow schema, which the readers of the landing zone (dbt sources, the quality suites, the
Postgres loader) use. `lib/` never imports this package; what it needs is passed in.
"""

from types import ModuleType

import pyarrow as pa

from orchestration.sources import ga4, google_ads, meta_ads, rfid, shop, zendesk

#: The source modules, in the order of the landing contract.
SOURCE_MODULES: tuple[ModuleType, ...] = (shop, google_ads, meta_ads, rfid, zendesk, ga4)

#: source -> dataset -> schema. The keys are the folder names under landing/.
LANDING_DATASETS: dict[str, dict[str, pa.Schema]] = {
    module.SOURCE: {name: dataset.schema for name, dataset in module.DATASETS.items()}
    for module in SOURCE_MODULES
}
