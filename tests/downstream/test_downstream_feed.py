"""End to end: events the platform publishes (through the real event store and outbox relay) reach
the HGRG stand-in's Node consumer through its downstream user, and ajv — not our Python — finds every
one valid against the committed JSON Schemas; a message that breaks its schema is journaled invalid
and kept in the lane's .rejected queue."""
import json
import os
import shutil
import subprocess  # nosec B404 # the test starts the Node consumer
import time
import uuid
from pathlib import Path

import pytest
from kombu import Connection, Exchange

from hgrip_kernel.contracts.published import PUBLISHED_EXCHANGE, published_events
from hgrip_kernel.events import DomainEvent
from hgrip_kernel.outbox_relay import OutboxRelay
from hgrip_kernel.store import EventStore, create_engine
from hgrip_kernel.store.tables import metadata
from hgrip_kernel.testing.published_samples import published_payloads

FEED = Path(__file__).resolve().parents[2] / "deploy" / "standins" / "hgrg-feed"


def relay_events(store_url: str, amqp_uri: str, backup_id: str) -> int:
    """Every published event and one private event, appended and relayed as a service does."""
    engine = create_engine(store_url)
    metadata.create_all(engine)
    with EventStore(engine, source="backups").unit_of_work(actor="acc-1", correlation_id="req-feed") as uow:
        uow.append("backup", f"backup-{backup_id}", 0,
                   [DomainEvent(t, data) for t, data in published_payloads(backup_id).items()])
    with EventStore(engine, source="identity").unit_of_work(correlation_id="req-private") as uow:
        uow.append("account", "account-1", 0, [DomainEvent(
            "LoginFailed", {"account_id": str(uuid.uuid4()), "at": "2026-11-21T05:00:00+00:00", "failures": 1})])
    relay = OutboxRelay(engine, amqp_uri)
    try:
        return relay.relay_all()
    finally:
        relay.close()
        engine.dispose()


def journal(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def feed(tmp_path):
    """``feed(lane) -> (process, journal path, log path)``: the Node consumer as `make run` starts it."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the HGRG feed consumer"
    assert (FEED / "node_modules" / "ajv").exists(), "run `make setup` (npm ci in deploy/standins/hgrg-feed)"
    started = []

    def start(lane):
        secret = tmp_path / "feed-password"
        secret.write_text(lane.password + "\n")
        secret.chmod(0o600)
        env = {**os.environ, "HGRIP_VAR": str(tmp_path / "var"), "HGRIP_FEED_USER": lane.name,
               "HGRIP_FEED_PASSWORD_FILE": str(secret),
               "HGRIP_AMQP_URI": f"amqp://{lane.host}:{lane.port}/{lane.vhost}"}
        env.pop("HGRIP_FEED_PASSWORD", None)
        log = tmp_path / "feed.log"
        process = subprocess.Popen([node, str(FEED / "feed.js")], env=env,  # nosec B603 # our own script
                                   stdout=log.open("w"), stderr=subprocess.STDOUT)
        started.append(process)
        return process, tmp_path / "var" / "hgrg-feed" / "received.jsonl", log

    yield start
    for process in started:
        process.terminate()
        process.wait(10)


def test_node_consumer_validates_every_published_event_and_rejects_a_broken_one(
        make_lane, feed, amqp_uri, sqlite_url):
    lane = make_lane()
    process, received, log = feed(lane)
    wait_for(lambda: "feed_consuming" in log.read_text(), 30, "the Node consumer to consume its queue")

    backup_id = str(uuid.uuid4())
    assert relay_events(sqlite_url, amqp_uri, backup_id) == 5
    records = wait_for(lambda: len(journal(received)) >= 4 and journal(received), 30, "four journaled events")
    published = {e.event_type for e in published_events()}
    assert sorted(r["message"]["event_type"] for r in records) == sorted(published)   # LoginFailed is private
    for record in records:
        assert record["valid"] is True, record["errors"]
        assert record["schema"] == f"backups.{record['message']['event_type']}.v1"
        assert record["message_id"] == record["message"]["event_id"]
        assert record["message"]["data"]["backup_id"] == backup_id

    # One the contract forbids: only the schema's pattern and format rules say so (ajv-formats is used).
    broken = dict(records[0]["message"], event_id="not-a-uuid")
    broken["data"] = dict(broken["data"], backup_number="BF-1")
    with Connection(amqp_uri) as connection:
        connection.Producer(exchange=Exchange(PUBLISHED_EXCHANGE, type="topic", durable=True)).publish(
            json.dumps(broken), routing_key=records[0]["routing_key"], message_id="broken-1")
    bad = wait_for(lambda: [r for r in journal(received) if r["message_id"] == "broken-1"], 30, "the broken one")
    assert bad[0]["valid"] is False
    assert any("/event_id" in e and "format" in e for e in bad[0]["errors"]), bad[0]["errors"]
    assert any("/data/backup_number" in e and "pattern" in e for e in bad[0]["errors"]), bad[0]["errors"]
    with Connection(amqp_uri) as connection:
        # journaled first, then rejected: the broker dead-letters it a moment later
        kept = wait_for(lambda: connection.default_channel.basic_get(f"{lane.queue}.rejected", no_ack=True),
                        10, "the rejected message in its queue")
        assert json.loads(kept.body)["event_id"] == "not-a-uuid"
    assert len(journal(received)) == 5   # nothing redelivered: the valid ones were acked

    # The password is in no process's command line and in no log line.
    assert lane.password not in Path(f"/proc/{process.pid}/cmdline").read_bytes().decode(errors="replace")
    assert lane.password not in log.read_text()


def test_node_consumer_waits_for_its_queue_and_resumes_when_it_is_made_again(make_lane, feed, amqp_uri,
                                                                             downstream_cli):
    lane = make_lane()
    _, received, log = feed(lane)
    wait_for(lambda: "feed_consuming" in log.read_text(), 30, "the Node consumer to consume its queue")
    with Connection(amqp_uri) as connection:
        connection.default_channel.queue_delete(lane.queue)
    wait_for(lambda: "feed_cancelled_by_broker" in log.read_text() and "feed_cannot_consume" in log.read_text(),
             30, "the consumer to notice its queue is gone")
    assert downstream_cli("add", lane.name, password=lane.password) == 0
    wait_for(lambda: log.read_text().count("feed_consuming") == 2, 30, "the consumer back on its queue")
    with Connection(amqp_uri) as connection:
        connection.Producer(exchange=Exchange(PUBLISHED_EXCHANGE, type="topic", durable=True)).publish(
            "{}", routing_key="backups.BackupSubmitted", message_id="after-1")
    wait_for(lambda: [r for r in journal(received) if r["message_id"] == "after-1"], 30, "the message journaled")
