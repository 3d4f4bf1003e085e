"""The published event contract: hgrip.published exchange, JSON Schemas, no drift."""
import copy
import json
import uuid
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from kombu import Connection

from hgrip_kernel.cli.main import main as hgrip
from hgrip_kernel.contracts import registry
from hgrip_kernel.contracts.export import drift, generated_files
from hgrip_kernel.contracts.published import (
    PUBLISHED_EXCHANGE,
    planned_events,
    published_events,
    published_routing_keys,
)
from hgrip_kernel.events import DomainEvent
from hgrip_kernel.messaging.topology import declare_topology, published_queue, unroutable_queue
from hgrip_kernel.outbox_relay import OutboxRelay
from hgrip_kernel.store import EventStore, create_engine
from hgrip_kernel.testing.published_samples import other_published_payloads, submitted_payload

REPO = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO / "contracts" / "jsonschema"


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def drain(amqp_uri, queue):
    with Connection(amqp_uri) as connection:
        bound = queue(connection.default_channel)
        messages = []
        while (message := bound.get(no_ack=True)) is not None:
            messages.append(message)
        return messages


@pytest.fixture
def downstream(amqp_uri):
    """A downstream consumer's queue on hgrip.published, bound to everything published."""
    queue = published_queue("test.downstream", "#")
    with Connection(amqp_uri) as connection:
        declare_topology(connection.default_channel)
        queue(connection.default_channel).declare()
    return queue


def publish_through_relay(url, amqp_uri):
    """A BackupSubmitted and an unpublished identity.LoginFailed, through the real store and relay."""
    engine = create_engine(url)
    backup_id = str(uuid.uuid4())
    with EventStore(engine, source="backups").unit_of_work(actor="acc-1", correlation_id="req-pub") as uow:
        uow.append("backup", f"backup-{backup_id}", 0, [DomainEvent("BackupSubmitted", submitted_payload(backup_id))])
    with EventStore(engine, source="identity").unit_of_work(correlation_id="req-priv") as uow:
        uow.append("account", "account-1", 0, [DomainEvent(
            "LoginFailed", {"account_id": str(uuid.uuid4()), "at": "2026-11-21T05:00:00+00:00", "failures": 1})])
    relay = OutboxRelay(engine, amqp_uri)
    assert relay.relay_all() == 2
    relay.close()
    engine.dispose()
    return backup_id


PUBLISHED_NOW = [("backups", "BackupSubmitted", 1), ("backups", "BackupDelegated", 1),
                 ("backups", "BackupClaimed", 1), ("backups", "FilingLinked", 1)]


def test_catalogue_lists_published_and_planned_events():
    assert [(e.source, e.event_type, e.version) for e in published_events()] == PUBLISHED_NOW
    assert planned_events() == []
    assert published_routing_keys() == sorted(f"{s}.{t}" for s, t, _ in PUBLISHED_NOW)
    for event in published_events():  # every published version has a registered marshmallow contract
        assert registry.schema_for(event.source, event.event_type, event.version) is not None


def test_published_exchange_gets_published_events_only(store_url, amqp_uri, downstream):
    backup_id = publish_through_relay(store_url, amqp_uri)
    messages = drain(amqp_uri, downstream)
    assert [m.delivery_info["routing_key"] for m in messages] == ["backups.BackupSubmitted"]
    [message] = messages
    assert message.delivery_info["exchange"] == "hgrip.events"  # e2e bindings keep the original publish
    body = json.loads(message.body)
    assert body["data"]["backup_id"] == backup_id
    assert message.properties["message_id"] == body["event_id"]
    assert message.headers["nameko.correlation_id"] == "req-pub"


def test_delivered_message_matches_the_json_schema_and_bad_ones_do_not(store_url, amqp_uri, downstream):
    publish_through_relay(store_url, amqp_uri)
    [message] = drain(amqp_uri, downstream)
    body = json.loads(message.body)
    check = validator("backups.BackupSubmitted.v1.json")
    check.validate(body)  # the real message, as the relay sent it

    def broken(change):
        bad = copy.deepcopy(body)
        change(bad)
        return bad

    for bad in (
        broken(lambda b: b["data"].pop("backup_number")),                       # required field
        broken(lambda b: b["data"].__setitem__("backup_number", "BF123")),      # pattern
        broken(lambda b: b["data"].__setitem__("categories", ["genome"])),      # enum
        broken(lambda b: b["data"].__setitem__("categories", [])),              # minItems
        broken(lambda b: b["data"].__setitem__("extra", 1)),                    # closed contract
        broken(lambda b: b["data"]["files"][0].__setitem__("cases", 0)),        # range
        broken(lambda b: b["data"]["files"][0].__setitem__("repository", "X")),  # nested enum
        broken(lambda b: b["data"].__setitem__("backup_id", "not-a-uuid")),     # format uuid
        broken(lambda b: b["data"].__setitem__("submitted_at", "yesterday")),   # format date-time
        broken(lambda b: b["data"].__setitem__("total_mb", 0)),                 # exclusive minimum
        broken(lambda b: b.__setitem__("schema_version", 2)),                  # another version
        broken(lambda b: b.__setitem__("event_type", "BackupCreated")),
        broken(lambda b: b.pop("event_id")),                                    # envelope
    ):
        with pytest.raises(ValidationError):
            check.validate(bad)
    # the envelope stays open: a newer producer may add an envelope field
    check.validate(broken(lambda b: b.__setitem__("trace", "x")))




def test_every_published_event_as_the_relay_sends_it_matches_its_json_schema(store_url, amqp_uri,
                                                                            downstream):
    backup_id = str(uuid.uuid4())
    payloads = other_published_payloads(backup_id)
    engine = create_engine(store_url)
    store = EventStore(engine, "backups")
    with store.unit_of_work(actor="a", correlation_id="req-pub") as uow:
        uow.append("backup", f"backup-{backup_id}", 0,
                   [DomainEvent(event_type, data) for event_type, data in payloads.items()])
    relay = OutboxRelay(engine, amqp_uri)
    assert relay.relay_all() == len(payloads)
    relay.close()
    engine.dispose()
    messages = drain(amqp_uri, downstream)
    assert [m.delivery_info["routing_key"] for m in messages] == [f"backups.{t}" for t in payloads]
    for message in messages:
        body = json.loads(message.body)
        validator(f"backups.{body['event_type']}.v1.json").validate(body)
        bad = copy.deepcopy(body)
        bad["data"]["unexpected"] = 1        # closed contracts: a new field is a new version
        with pytest.raises(ValidationError):
            validator(f"backups.{body['event_type']}.v1.json").validate(bad)


def test_json_schema_agrees_with_the_marshmallow_contract():
    check = validator("backups.BackupSubmitted.v1.json")
    good = submitted_payload(str(uuid.uuid4()))
    registry.validate("backups", "BackupSubmitted", 1, good)
    envelope = {"event_id": str(uuid.uuid4()), "event_type": "BackupSubmitted", "schema_version": 1,
                "source": "backups", "stream_type": "backup", "stream_id": "backup-x", "stream_version": 7,
                "occurred_at": "2026-11-21T05:00:00.123456+00:00", "actor": None, "correlation_id": "c",
                "causation_id": None, "position": 3}
    check.validate({**envelope, "data": good})
    unit = {**good, "unit_code": "U1"}
    check.validate({**envelope, "data": unit})
    registry.validate("backups", "BackupSubmitted", 1, unit)


def test_committed_schemas_are_what_the_generator_produces(tmp_path):
    assert drift(SCHEMA_DIR) == [], "run: hgrip contracts export contracts/jsonschema"
    assert hgrip(["contracts", "export", str(tmp_path)]) == 0
    generated = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.json")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.json")}
    assert generated == committed == generated_files()
    assert hgrip(["contracts", "export", str(SCHEMA_DIR), "--check"]) == 0
    (tmp_path / "backups.BackupSubmitted.v1.json").write_text("{}", encoding="utf-8")
    (tmp_path / "stale.v1.json").write_text("{}", encoding="utf-8")
    assert drift(tmp_path) == ["backups.BackupSubmitted.v1.json", "stale.v1.json"]
    assert hgrip(["contracts", "export", str(tmp_path), "--check"]) == 1


def test_asyncapi_document_refers_to_the_committed_schemas():
    import yaml
    doc = yaml.safe_load((REPO / "docs" / "asyncapi.yaml").read_text(encoding="utf-8"))
    assert doc["asyncapi"].startswith("2.6")
    refs = [m["payload"]["$ref"] for m in doc["components"]["messages"].values()]
    for event in published_events():
        ref = f"../contracts/jsonschema/{event.schema_file}"
        assert ref in refs and (REPO / "docs" / ref).resolve().is_file()
    assert PUBLISHED_EXCHANGE in json.dumps(doc["channels"])


def test_unsubscribed_published_copies_do_not_pile_up(sqlite_url, amqp_uri):
    """No queue on either exchange: an internal event nobody takes is kept for operators; the
    published feed's copy of a published one is not (it would accumulate forever otherwise)."""
    from hgrip_kernel.store.tables import metadata
    engine = create_engine(sqlite_url)
    metadata.create_all(engine)
    engine.dispose()
    publish_through_relay(sqlite_url, amqp_uri)
    kept = sorted(json.loads(m.body)["event_type"] for m in drain(amqp_uri, unroutable_queue))
    assert kept == ["LoginFailed"]
