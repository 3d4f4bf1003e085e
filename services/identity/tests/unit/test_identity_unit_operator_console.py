"""The operator's console in identity: dead letters (list, one, replay one or all) for operators only,
and every replay recorded on the audit stream naming the operator."""
import pytest

from hgrip_identity.app import operator_console
from hgrip_identity.app.provisioning import upsert_account, upsert_institution
from hgrip_identity.domain.operator_audit import OPERATOR_AUDIT_STREAM
from hgrip_kernel.contracts import registry
from hgrip_kernel.errors import Forbidden, NotFound


@pytest.fixture
def people(world, ngdc_payload, zhang_payload):
    upsert_institution(world.ports, world.request, ngdc_payload)
    zhang, _ = upsert_account(world.ports, world.request, zhang_payload)
    operator, _ = upsert_account(world.ports, world.request, {
        **zhang_payload, "username": "operator", "name": "平台运维测试", "role": "operator", "institution": None,
        "unit": None, "authorised": False, "authorised_at": None, "mobile": "13500000001"})
    world.dead_letters.add("m-1")
    world.dead_letters.add("m-2", queue="registry-sync.on_backup_submitted", event_type="BackupSubmitted")
    return {"zhang": zhang.id, "operator": operator.id}


def test_only_an_operator_reads_or_replays(world, people):
    for call in (lambda: operator_console.dead_letters(world.ports, people["zhang"]),
                 lambda: operator_console.dead_letter(world.ports, people["zhang"], "m-1"),
                 lambda: operator_console.replay(world.ports, world.request, people["zhang"], None),
                 lambda: operator_console.actions(world.ports, people["zhang"])):
        with pytest.raises(Forbidden) as refused:
            call()
        assert refused.value.code == "operators_only" and refused.value.message_zh
    assert len(world.dead_letters.queue) == 2 and world.store.read_stream(OPERATOR_AUDIT_STREAM) == []


def test_the_operator_lists_and_reads_one(world, people):
    listed = operator_console.dead_letters(world.ports, people["operator"])
    assert listed["total"] == 2 and [item["service"] for item in listed["items"]] == ["backups", "registry-sync"]
    assert operator_console.dead_letter(world.ports, people["operator"], "m-2")["event_type"] == "BackupSubmitted"
    with pytest.raises(NotFound) as missing:
        operator_console.dead_letter(world.ports, people["operator"], "m-9")
    assert missing.value.code == "dead_letter_not_found"


def test_each_replay_is_an_event_naming_the_operator(world, people):
    one = operator_console.replay(world.ports, world.request, people["operator"], "m-1")
    assert one["count"] == 1 and one["action"]["operator"]["username"] == "operator"
    assert one["action"]["action"] == "dead_letter_replayed" and one["action"]["target"] == "m-1"
    with pytest.raises(NotFound):
        operator_console.replay(world.ports, world.request, people["operator"], "m-1")   # gone now
    every = operator_console.replay(world.ports, world.request, people["operator"], None)
    assert every["count"] == 1 and every["action"]["action"] == "dead_letters_replayed"
    stream = world.store.read_stream(OPERATOR_AUDIT_STREAM)
    assert [e.event_type for e in stream] == ["OperatorActionRecorded"] * 2
    for envelope in stream:
        registry.validate("identity", envelope.event_type, envelope.schema_version, envelope.data)
        assert envelope.actor == people["operator"] and envelope.correlation_id == "req-unit-1"
    actions = operator_console.actions(world.ports, people["operator"])
    assert actions["total"] == 2 and [a["target"] for a in actions["items"]] == [None, "m-1"]   # newest first
    assert actions["items"][0]["operator"]["name"] == "平台运维测试"
