"""The gateway's share of the platform's metrics: besides its HTTP requests (web.py), the broker's
gauges read at each scrape — dead letters waiting and the instances of every service it calls."""
from nameko.extensions import DependencyProvider

from hgrip_kernel import metrics
from hgrip_kernel.metrics_broker import broker_sampler


class BrokerGauges(DependencyProvider):
    def __init__(self, rpc_services: tuple[str, ...]):
        self.rpc_services = rpc_services   # the services the gateway calls

    def setup(self):
        service = self.container.service_name
        self.key = f"broker@{service}:{id(self)}"
        metrics.sampled(self.key, service, broker_sampler(self.container.config["AMQP_URI"], service,
                                                          self.rpc_services))

    def stop(self):
        metrics.unsampled(self.key)

    def kill(self):
        metrics.unsampled(self.key)
