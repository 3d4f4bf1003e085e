"""The process metrics (hgrip_kernel.metrics) counted by the real nameko shell on a real broker and
database, and served on $HGRIP_METRICS_ADDRESS by the green WSGI listener of ``hgrip serve``."""
import socket

import eventlet
import pytest
import requests
from nameko.exceptions import RemoteError
from nameko.rpc import rpc
from prometheus_client import REGISTRY

from hgrip_kernel import metrics
from hgrip_kernel.errors import NotFound
from hgrip_kernel.events import DomainEvent
from hgrip_kernel.metrics_broker import broker_sampler
from hgrip_kernel.metrics_http import serve_metrics
from hgrip_kernel.nameko import EventStoreProvider, RequestContext, event_consumer, refusing_rpc
from hgrip_kernel.testing.fixtures import wait_until

FAIL_ALWAYS = {"on": False}


class MeteredProducer:
    name = "metered_producer"
    store = EventStoreProvider(poll_interval=0.05)
    ctx = RequestContext()

    @rpc
    def make(self, stream_id):
        with self.store.unit_of_work(actor="tester", correlation_id=self.ctx.correlation_id) as uow:
            uow.append("thing", stream_id, 0, [DomainEvent("Made", {"n": 1})])

    @refusing_rpc
    def refuse(self):
        raise NotFound("thing_not_found", "No such thing.", "没有这个东西。")

    @rpc
    def crash(self):
        raise RuntimeError("boom")

    @rpc
    def slow(self, seconds):
        eventlet.sleep(seconds)   # busy, yielding as every worker does on its I/O


class MeteredConsumer:
    name = "metered_consumer"
    ctx = RequestContext()

    @event_consumer("metered_producer", "Made")
    def on_made(self, envelope):
        if FAIL_ALWAYS["on"]:
            raise RuntimeError("cannot apply")


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def snapshot() -> dict:
    """One scrape: {(name, sorted labels): value}."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in REGISTRY.collect() for sample in family.samples}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def producer(make_database, service_config, start_service):
    FAIL_ALWAYS["on"] = False
    start_service(MeteredConsumer, service_config("metered_consumer"))
    return start_service(MeteredProducer, service_config("metered_producer", make_database(None)))


def test_rpc_calls_are_counted_by_method_and_outcome_with_their_latency(producer, rpc_proxy):
    service = "metered_producer"
    before = {outcome: value("hgrip_rpc_calls_total", service=service, method=method, outcome=outcome)
              for method, outcome in (("make", "ok"), ("refuse", "refused"), ("crash", "error"))}
    timed = value("hgrip_rpc_duration_seconds_count", service=service, method="make")
    with rpc_proxy() as cluster:
        cluster.metered_producer.make("m-1")
        cluster.metered_producer.make("m-2")
        with pytest.raises(NotFound):
            cluster.metered_producer.refuse()
        with pytest.raises(RemoteError):
            cluster.metered_producer.crash()
    # nameko answers the caller before the dependencies' worker_result: the last count may lag a moment.
    wait_until(lambda: value("hgrip_rpc_calls_total", service=service, method="crash", outcome="error")
               == before["error"] + 1, message="the crash counted")
    assert value("hgrip_rpc_calls_total", service=service, method="make", outcome="ok") == before["ok"] + 2
    assert value("hgrip_rpc_calls_total", service=service, method="refuse", outcome="refused") == before["refused"] + 1
    assert value("hgrip_rpc_duration_seconds_count", service=service, method="make") == timed + 2


def test_events_consumed_retried_and_dead_lettered_and_relay_publishes_are_counted(producer, rpc_proxy):
    labels = {"service": "metered_consumer", "consumer": "on_made"}
    consumed = value("hgrip_events_total", **labels, outcome="consumed")
    published = value("hgrip_relay_published_total", service="metered_producer")
    with rpc_proxy() as cluster:
        cluster.metered_producer.make("e-1")
    wait_until(lambda: value("hgrip_events_total", **labels, outcome="consumed") == consumed + 1,
               message="the event counted as consumed")
    assert value("hgrip_relay_published_total", service="metered_producer") >= published + 1

    FAIL_ALWAYS["on"] = True   # MAX_DELIVERY_ATTEMPTS=3 in tests: two retries, then the dead letters
    retried = value("hgrip_events_total", **labels, outcome="retried")
    dead = value("hgrip_events_total", **labels, outcome="dead_lettered")
    with rpc_proxy() as cluster:
        cluster.metered_producer.make("e-2")
    wait_until(lambda: value("hgrip_events_total", **labels, outcome="dead_lettered") == dead + 1,
               message="the event counted as dead-lettered")
    assert value("hgrip_events_total", **labels, outcome="retried") == retried + 2
    assert value("hgrip_events_total", **labels, outcome="consumed") == consumed + 1


def test_outbox_backlog_is_read_at_scrape_time(make_database, service_config, start_service, rpc_proxy):
    # The relay off: rows stay in the outbox, and the gauge reads them from the database.
    start_service(MeteredProducer, service_config("metered_producer", make_database(None), RELAY_ENABLED=False))
    assert value("hgrip_outbox_waiting", service="metered_producer") == 0
    with rpc_proxy() as cluster:
        cluster.metered_producer.make("o-1")
        cluster.metered_producer.make("o-2")
    eventlet.sleep(0.05)
    assert value("hgrip_outbox_waiting", service="metered_producer") == 2
    assert value("hgrip_outbox_oldest_waiting_seconds", service="metered_producer") > 0


def test_the_listener_answers_while_the_service_is_busy(producer, rpc_proxy):
    port = free_port()
    server = serve_metrics({metrics.ADDRESS_VARIABLE: f"127.0.0.1:{port}"}, "metered_producer")
    try:
        with rpc_proxy() as cluster:
            calls = [cluster.metered_producer.slow.call_async(1.5) for _ in range(5)]
            eventlet.sleep(0.2)   # five workers busy
            answer = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=1)
            assert answer.status_code == 200
            assert 'hgrip_outbox_waiting{service="metered_producer"}' in answer.text
            assert requests.get(f"http://127.0.0.1:{port}/other", timeout=1).status_code == 404
            for call in calls:
                call.result()
    finally:
        server.kill()
    assert serve_metrics({}, "metered_producer") is None   # unset: no listener at all


def test_a_failing_sampler_costs_only_its_own_gauges():
    def broken():
        raise ConnectionError("database away")

    metrics.sampled("broken@test", "test", broken)
    metrics.sampled("fine@test", "test", lambda: [metrics.Sample("hgrip_test_gauge", "a test", {"service": "test"}, 7)])
    try:
        failures = [snapshot() for _ in range(2)]   # two scrapes
        assert failures[1][("hgrip_test_gauge", (("service", "test"),))] == 7
        key = ("hgrip_metrics_sample_failures_total", (("sampler", "broken"), ("service", "test")))
        assert failures[1][key] == failures[0].get(key, 0) + 1
    finally:
        metrics.unsampled("broken@test")
        metrics.unsampled("fine@test")
    assert REGISTRY.get_sample_value("hgrip_test_gauge", {"service": "test"}) is None


def test_broker_gauges_count_dead_letters_and_rpc_consumers(producer, amqp_uri):
    samples = {(s.name, s.labels.get("rpc_service")): s.value
               for s in broker_sampler(amqp_uri, "gateway", ("metered_producer", "nobody"))()}
    assert samples[("hgrip_rpc_consumers", "metered_producer")] == 1
    assert samples[("hgrip_rpc_consumers", "nobody")] == 0   # never declared: no instance
    assert samples[("hgrip_dead_letters", None)] >= 0


@pytest.mark.parametrize("address, expected", [
    (None, None), ("", None), ("127.0.0.1:9101", ("127.0.0.1", 9101)), (":9102", ("127.0.0.1", 9102)),
    ("0.0.0.0:9100", ("0.0.0.0", 9100)),  # nosec B104 # a pod's address, parsed only
])
def test_metrics_address(address, expected):
    assert metrics.parse_address(address) == expected


@pytest.mark.parametrize("address", ["9101", "host:", "host:http", "host:70000"])
def test_a_malformed_metrics_address_is_refused_in_both_languages(address):
    with pytest.raises(ValueError) as refused:
        metrics.parse_address(address)
    assert "HOST:PORT" in str(refused.value) and "主机:端口" in str(refused.value)
