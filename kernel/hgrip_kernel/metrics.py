"""Prometheus metrics of every HGRIP process, defined once here (prometheus_client's default registry).

Each process serves them on $HGRIP_METRICS_ADDRESS (``metrics_http``); every metric carries the
``service`` that counted it. Counters and histograms are updated where things happen (RPC answers,
consumers, relay, gateway); gauges that describe stored state (outbox backlog, HGRG pushes, broker
queues) are read when Prometheus scrapes, by samplers registered with ``sampled`` — nothing runs
between scrapes. The hot path costs a dict lookup and an increment: label children are cached.
"""
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .logging import get_logger

log = get_logger("hgrip.metrics")

ADDRESS_VARIABLE = "HGRIP_METRICS_ADDRESS"
# RPC and HTTP latencies: a fast read is milliseconds, a submit under load tenths, a timeout 10 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

OK, REFUSED, ERROR = "ok", "refused", "error"                       # an RPC's outcome
CONSUMED, RETRIED, DEAD_LETTERED = "consumed", "retried", "dead_lettered"   # an event's

RPC_CALLS = Counter("hgrip_rpc_calls", "RPC calls answered, by method and outcome (ok, refused: a "
                    "domain refusal, error)", ["service", "method", "outcome"])
RPC_SECONDS = Histogram("hgrip_rpc_duration_seconds", "Time to answer an RPC call, by method",
                        ["service", "method"], buckets=LATENCY_BUCKETS)
EVENTS = Counter("hgrip_events", "Events taken by a consumer: consumed (applied), retried (sent to its "
                 "retry queue), dead_lettered", ["service", "consumer", "outcome"])
RELAY_PUBLISHED = Counter("hgrip_relay_published", "Outbox rows the relay published (broker-confirmed)",
                          ["service"])
RELAY_FAILURES = Counter("hgrip_relay_publish_failures", "Relay batches the broker did not take",
                         ["service"])
HTTP_REQUESTS = Counter("hgrip_http_requests", "HTTP requests answered, by route template and status",
                        ["service", "method", "route", "status"])
HTTP_SECONDS = Histogram("hgrip_http_request_duration_seconds", "Time to answer an HTTP request, by route "
                         "template", ["service", "method", "route"], buckets=LATENCY_BUCKETS)
SAMPLE_FAILURES = Counter("hgrip_metrics_sample_failures", "Scrape-time samplers that failed (their "
                          "gauges are missing from that scrape)", ["service", "sampler"])


class _Children:
    """``metric.labels(*values)`` remembered: prometheus_client takes a lock and builds a key each time."""

    def __init__(self, metric):
        self.metric = metric
        self.children: dict[tuple, Any] = {}

    def __call__(self, *values: str):
        child = self.children.get(values)
        if child is None:
            child = self.children[values] = self.metric.labels(*values)
        return child


_rpc_calls, _rpc_seconds = _Children(RPC_CALLS), _Children(RPC_SECONDS)
_events, _published, _relay_failures = _Children(EVENTS), _Children(RELAY_PUBLISHED), _Children(RELAY_FAILURES)
_http_requests, _http_seconds = _Children(HTTP_REQUESTS), _Children(HTTP_SECONDS)


def rpc_answered(service: str, method: str, outcome: str, seconds: float) -> None:
    _rpc_calls(service, method, outcome).inc()
    _rpc_seconds(service, method).observe(seconds)


def event_taken(service: str, consumer: str, outcome: str) -> None:
    _events(service, consumer, outcome).inc()


def relay_published(service: str, rows: int) -> None:
    _published(service).inc(rows)


def relay_failed(service: str) -> None:
    _relay_failures(service).inc()


def http_answered(service: str, method: str, route: str, status: int, seconds: float) -> None:
    _http_requests(service, method, route, str(status)).inc()
    _http_seconds(service, method, route).observe(seconds)


# ---- gauges read at scrape time -------------------------------------------------------------------

class Sample(NamedTuple):
    name: str
    help: str
    labels: dict[str, str]
    value: float


Sampler = Callable[[], Iterable[Sample]]


class _Sampled(Collector):
    """Every registered sampler, asked at each scrape; samples of one name (several stores in one
    process, as in tests) are merged into one family. A failing sampler costs only its own gauges."""

    def __init__(self) -> None:
        self.samplers: dict[str, tuple[str, Sampler]] = {}

    def describe(self):
        return []   # nothing to check at registration (and no query run then)

    def collect(self):
        families: dict[str, GaugeMetricFamily] = {}
        for key, (service, sampler) in list(self.samplers.items()):
            try:
                samples = list(sampler())
            except Exception as exc:   # a database or broker away: the other gauges still answer
                log.warning("metrics_sample_failed", sampler=key, error=repr(exc)[:300])
                SAMPLE_FAILURES.labels(service, key.split("@")[0]).inc()
                continue
            for sample in samples:
                family = families.get(sample.name)
                if family is None:
                    family = families[sample.name] = GaugeMetricFamily(sample.name, sample.help,
                                                                       labels=list(sample.labels))
                family.add_metric(list(sample.labels.values()), sample.value)
        return list(families.values())


_sampled = _Sampled()
REGISTRY.register(_sampled)


def sampled(key: str, service: str, sampler: Sampler) -> None:
    """Ask ``sampler`` at every scrape (until ``unsampled(key)``). ``key``: ``"<what>@<whose>"``."""
    _sampled.samplers[key] = (service, sampler)


def unsampled(key: str) -> None:
    _sampled.samplers.pop(key, None)


def age_seconds(moment: datetime | str | None, now: datetime) -> float:
    """How long ago ``moment`` was (0 when there is none): aggregates on SQLite come back naive or as text."""
    if moment is None:
        return 0.0
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((now - moment).total_seconds(), 0.0)


def outbox_sampler(service: str, engine) -> Sampler:
    """``hgrip_outbox_waiting`` and ``hgrip_outbox_oldest_waiting_seconds`` of one store: a count over
    the partial index of unpublished rows (ix_outbox_unpublished), cheap however long the outbox is."""
    from sqlalchemy import func, select

    from .store.tables import outbox

    query = select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))

    def sample() -> list[Sample]:
        with engine.connect() as connection:
            waiting, oldest = connection.execute(query).one()
        labels = {"service": service}
        return [Sample("hgrip_outbox_waiting", "Outbox rows not yet published", labels, waiting),
                Sample("hgrip_outbox_oldest_waiting_seconds", "Age of the oldest unpublished outbox row "
                       "(0 when none waits)", labels, age_seconds(oldest, datetime.now(UTC)))]
    return sample


def parse_address(value: str | None) -> tuple[str, int] | None:
    """``HOST:PORT`` (or ``:PORT``, on 127.0.0.1) → (host, port); unset or empty → None (no listener)."""
    if value is None or not value.strip():
        return None
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{ADDRESS_VARIABLE} must be HOST:PORT (e.g. 127.0.0.1:9101), not {value!r}; "
                         f"{ADDRESS_VARIABLE} 应为 主机:端口（例如 127.0.0.1:9101），而不是 {value!r}")
    return (host.strip("[]") or "127.0.0.1"), int(port)
