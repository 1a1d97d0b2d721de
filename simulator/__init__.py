"""A simulated fashion retailer behind six real APIs (Shopify, Google Ads, Meta, EPCIS, Zendesk,
GA4), served over loopback HTTP so the pipeline runs out of the box. See docs/architecture.md."""

from simulator.config import DEMO_CREDENTIALS, FaultConfig, PageSizes, SimulatorConfig
from simulator.server import SimulatorServer

__all__ = ["DEMO_CREDENTIALS", "FaultConfig", "PageSizes", "SimulatorConfig", "SimulatorServer"]
