"""Gauges read from the broker at scrape time: dead letters waiting, and consumers on each service's
RPC queue (0: a service without instances). One passive queue declaration per queue — the broker's own
counts, no management plugin needed. Exported by the gateway (``hgrip_gateway.metrics``)."""
from amqp.exceptions import NotFound
from kombu import Connection

from .messaging.names import DEAD_LETTER_QUEUE
from .metrics import Sample, Sampler


def rpc_queue(service: str) -> str:
    """nameko's RPC queue of a service (nameko.rpc: ``rpc-<service name>``)."""
    return f"rpc-{service}"


def queue_counts(connection, queue: str) -> tuple[int, int]:
    """(messages ready, consumers) of ``queue``; (0, 0) when it was never declared."""
    channel = connection.channel()
    try:
        _, messages, consumers = channel.queue_declare(queue=queue, passive=True)
        return messages, consumers
    except NotFound:   # the broker closed this channel with the refusal: nothing to close
        return 0, 0
    finally:
        if channel.is_open:
            channel.close()


def broker_sampler(amqp_uri: str, service: str, rpc_services: tuple[str, ...],
                   timeout: float = 2.0) -> Sampler:
    def sample() -> list[Sample]:
        with Connection(amqp_uri, connect_timeout=timeout) as connection:
            dead, _ = queue_counts(connection, DEAD_LETTER_QUEUE)
            samples = [Sample("hgrip_dead_letters", "Messages waiting in the dead-letter queue "
                              f"({DEAD_LETTER_QUEUE}): each failed every attempt", {"service": service}, dead)]
            for target in rpc_services:
                _, consumers = queue_counts(connection, rpc_queue(target))
                samples.append(Sample("hgrip_rpc_consumers", "Processes consuming a service's RPC queue "
                                      "(0: the service has no instance)",
                                      {"service": service, "rpc_service": target}, consumers))
        return samples
    return sample
