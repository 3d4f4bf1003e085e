"""Registers registry-sync's HGRG gauges (adapters/metrics.py) with the process's metrics while the
service runs: the console's summary, computed at each scrape."""
from nameko.extensions import DependencyProvider

from hgrip_kernel import metrics
from hgrip_kernel.nameko import EventStoreProvider

from ..adapters.metrics import hgrg_samples
from ..adapters.read_models import sql_ports
from ..app import status


class HgrgGauges(DependencyProvider):
    key = ""

    def start(self):
        store = next(dep.store for dep in self.container.dependencies if isinstance(dep, EventStoreProvider))
        service = self.container.service_name
        self.key = f"hgrg@{service}:{id(self)}"
        ports = sql_ports(store)
        metrics.sampled(self.key, service, lambda: hgrg_samples(status.summary(ports), service))

    def stop(self):
        metrics.unsampled(self.key)

    def kill(self):
        metrics.unsampled(self.key)
