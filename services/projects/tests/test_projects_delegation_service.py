"""Delegation transfers (委托调整) on real PostgreSQL and RabbitMQ: the RPC from backups, the
backups.DelegationTransferred consumer behind it, and both together."""
import uuid

import pytest
from sqlalchemy import select

from hgrip_kernel.contracts import registry
from hgrip_kernel.errors import Conflict, InvalidInput, NotFound
from hgrip_kernel.store.tables import events, inbox, outbox

CONSUMER = "projects.on_delegation_transferred"


@pytest.fixture
def people(platform, new_project):
    """An owner (unit U1) with projects "Trio" and "Quartet", and a delegate in unit U2."""
    owner = platform.provision()
    delegate = platform.provision(unit="U2")
    with platform.rpc() as cluster:
        trio = cluster.projects.create_project(owner, new_project(name="Trio"))
        quartet = cluster.projects.create_project(owner, new_project(name="Quartet"))
        username = cluster.identity.get_account(delegate)["username"]
    return owner, delegate, username, [trio, quartet]


def moved(project: dict, delegate: str) -> dict:
    """The project as its new owner sees it: new owner and unit, the rest as created."""
    return {**project, "owner_id": delegate, "unit": {"code": "U2", "name": "数据资源部"}}


def delegated_data(project_id: str, transfer: dict) -> dict:
    """The ProjectDelegated a transfer records for a project, whichever path applied it."""
    return {"project_id": project_id, "transfer_id": transfer["transfer_id"],
            "from_owner_id": transfer["from_owner_id"], "to_owner_id": transfer["to_owner_id"],
            "to_username": transfer["to_username"], "unit_code": "U2", "unit_name": "数据资源部",
            "delegated_by": transfer["transferred_by"], "delegated_at": "2023-07-01T02:00:00+00:00"}


def delegated_events(platform, project_id=None):
    query = select(events).where(events.c.event_type == "ProjectDelegated").order_by(events.c.position)
    if project_id:
        query = query.where(events.c.stream_id == f"project-{project_id}")
    return platform.rows("projects", query)


def snapshot(platform):
    """Everything the projects database holds that a transfer could change."""
    from hgrip_projects.adapters.tables import projects
    return (platform.rows("projects", select(projects).order_by(projects.c.id)),
            platform.count("projects", events), platform.count("projects", outbox),
            platform.count("projects", inbox))


def test_the_rpc_moves_the_projects_and_the_old_owner_loses_access(platform, people, transfer):
    owner, delegate, username, (trio, quartet) = people
    data = transfer(owner, delegate, [trio["id"], quartet["id"]], to_username=username)
    with platform.rpc(correlation_id="req-transfer-1") as cluster:
        assert cluster.projects.transfer_projects(data) == \
            {"moved": [trio["id"], quartet["id"]], "already": [], "skipped": []}
        # The new owner has them, in the new owner's unit; newest first as always.
        assert cluster.projects.list_projects(delegate) == [moved(quartet, delegate), moved(trio, delegate)]
        assert cluster.projects.get_project(delegate, trio["id"]) == moved(trio, delegate)
        # The old owner no longer sees them at all.
        assert cluster.projects.list_projects(owner) == []
        with pytest.raises(NotFound) as caught:
            cluster.projects.get_project(owner, trio["id"])
        assert caught.value.code == "project_not_found"

    for project in (trio, quartet):
        [stored] = delegated_events(platform, project["id"])
        assert (stored.stream_version, stored.actor, stored.correlation_id) == \
            (2, data["transferred_by"], "req-transfer-1")
        registry.validate("projects", "ProjectDelegated", 1, stored.data)
        assert stored.data == delegated_data(project["id"], data)
    assert platform.count("projects", outbox) == 4   # 2 created + 2 delegated, each to be relayed


def test_repeating_the_rpc_changes_nothing(platform, people, transfer):
    owner, delegate, username, projects = people
    ids = [p["id"] for p in projects]
    data = transfer(owner, delegate, ids, to_username=username)
    with platform.rpc() as cluster:
        cluster.projects.transfer_projects(data)
        before = snapshot(platform)
        assert cluster.projects.transfer_projects(data) == {"moved": [], "already": ids, "skipped": []}
        # Another transfer to the same delegate finds them there already, too.
        again = transfer(owner, delegate, ids, to_username=username)
        assert cluster.projects.transfer_projects(again) == {"moved": [], "already": ids, "skipped": []}
    assert snapshot(platform) == before


def test_projects_moved_elsewhere_or_unknown_are_skipped(platform, people, transfer):
    owner, delegate, username, (trio, quartet) = people
    third = platform.provision()
    missing = str(uuid.uuid4())
    with platform.rpc() as cluster:
        # Someone moved Quartet to a third person after backups decided the transfer.
        cluster.projects.transfer_projects(transfer(owner, third, [quartet["id"]], to_unit_code="U1"))
        result = cluster.projects.transfer_projects(
            transfer(owner, delegate, [trio["id"], quartet["id"], missing, trio["id"]],
                     to_username=username))
        assert result == {"moved": [trio["id"]], "already": [], "skipped": [quartet["id"], missing]}
        assert [p["id"] for p in cluster.projects.list_projects(third)] == [quartet["id"]]
        assert [p["id"] for p in cluster.projects.list_projects(delegate)] == [trio["id"]]
    assert len(delegated_events(platform)) == 2


def test_the_consumer_converges_to_the_same_state_as_the_rpc(platform, people, transfer,
                                                              transferred, wait_until):
    owner, delegate, username, projects = people
    ids = [p["id"] for p in projects]
    data = transfer(owner, delegate, ids, to_username=username)
    envelope = transferred(data)
    platform.publish(envelope)

    def arrived():
        with platform.rpc() as cluster:
            return len(cluster.projects.list_projects(delegate)) == 2
    wait_until(arrived, message="the consumer to move the projects")

    with platform.rpc() as cluster:
        assert cluster.projects.list_projects(delegate) == [moved(p, delegate) for p in reversed(projects)]
        assert cluster.projects.list_projects(owner) == []
        # The synchronous call arriving late finds everything done.
        assert cluster.projects.transfer_projects(data) == {"moved": [], "already": ids, "skipped": []}
    stored = delegated_events(platform)
    assert [row.data for row in stored] == [delegated_data(i, data) for i in ids]
    assert {(row.causation_id, row.actor) for row in stored} == {(envelope["event_id"], data["transferred_by"])}
    assert platform.rows("projects", select(inbox.c.consumer, inbox.c.event_id)) == \
        [(CONSUMER, envelope["event_id"])]

    # The same message delivered again (a relay that crashed before marking it sent) is a no-op.
    before = snapshot(platform)
    with _waiting(platform) as waited:
        platform.publish(envelope)
    assert waited.get() is None
    assert snapshot(platform) == before


@pytest.mark.parametrize("first", ["event", "rpc"])
def test_rpc_and_consumer_for_one_transfer_record_one_event_per_project(
        platform, transfer, transferred, new_project, first):
    owner, delegate = platform.provision(), platform.provision(unit="U2")
    with platform.rpc() as cluster:
        ids = [cluster.projects.create_project(owner, new_project(name=f"Cohort {n}"))["id"]
               for n in range(6)]
    data = transfer(owner, delegate, ids)
    envelope = transferred(data)
    with platform.rpc(timeout=60) as cluster, _waiting(platform) as waited:
        if first == "event":
            platform.publish(envelope)
            reply = cluster.projects.transfer_projects.call_async(data)
        else:
            reply = cluster.projects.transfer_projects.call_async(data)
            platform.publish(envelope)
        result = reply.result()
    assert waited.get() is None
    # The two paths raced; whichever lost saw the other's work. Together: each project once.
    assert sorted(result["moved"] + result["already"]) == sorted(ids) and result["skipped"] == []
    assert sorted(row.stream_id for row in delegated_events(platform)) == sorted(f"project-{i}" for i in ids)
    with platform.rpc() as cluster:
        assert sorted(p["id"] for p in cluster.projects.list_projects(delegate)) == sorted(ids)
        assert cluster.projects.list_projects(owner) == []
    assert platform.dead_letters() == 0


def test_a_name_the_delegate_uses_refuses_the_whole_transfer(platform, people, transfer, new_project):
    owner, delegate, username, (trio, quartet) = people
    with platform.rpc() as cluster:
        cluster.projects.create_project(delegate, new_project(name="Trio"))
        # The caller can ask first.
        assert cluster.projects.project_names_taken(delegate, ["Quartet", "Trio", "Trio", "Solo"]) == ["Trio"]
        assert cluster.projects.project_names_taken(owner, ["Quartet", "Trio"]) == ["Quartet", "Trio"]
        before = snapshot(platform)
        with pytest.raises(Conflict) as caught:
            cluster.projects.transfer_projects(
                transfer(owner, delegate, [trio["id"], quartet["id"]], to_username=username))
        assert [p["id"] for p in cluster.projects.list_projects(owner)] == [quartet["id"], trio["id"]]
    error = caught.value
    assert (error.code, error.http_status, error.details) == ("delegate_has_project_named", 409,
                                                               {"names": ["Trio"]})
    assert error.message.isascii() and "同名项目" in error.message_zh
    assert snapshot(platform) == before                  # not even Quartet moved


def test_a_listed_project_already_with_the_delegate_still_clashes_by_name(platform, people, transfer,
                                                                        new_project):
    owner, delegate, username, (trio, quartet) = people
    with platform.rpc() as cluster:
        # An earlier transfer moved Trio; the owner then made a new project called Trio.
        cluster.projects.transfer_projects(transfer(owner, delegate, [trio["id"]]))
        new_trio = cluster.projects.create_project(owner, new_project(name="Trio"))
        before = snapshot(platform)
        with pytest.raises(Conflict) as caught:
            cluster.projects.transfer_projects(
                transfer(owner, delegate, [trio["id"], quartet["id"], new_trio["id"]]))
    assert (caught.value.code, caught.value.details) == ("delegate_has_project_named", {"names": ["Trio"]})
    assert snapshot(platform) == before


def test_a_name_clash_in_the_consumer_is_dead_lettered_after_bounded_retries(
        platform, people, transfer, transferred, new_project, wait_until):
    owner, delegate, username, (trio, quartet) = people
    with platform.rpc() as cluster:
        cluster.projects.create_project(delegate, new_project(name="Quartet"))
    before = snapshot(platform)
    platform.publish(transferred(transfer(owner, delegate, [trio["id"], quartet["id"]])))
    assert wait_until(platform.dead_letters, message="the refused transfer in the dead letters") == 1
    assert snapshot(platform) == before                  # no event, no move, no inbox mark


def test_bad_input_is_refused(platform, people, transfer):
    owner, delegate, username, (trio, _) = people
    good = transfer(owner, delegate, [trio["id"]])
    with platform.rpc() as cluster:
        for payload, field in [({**good, "project_ids": ["nope"]}, "project_ids"),
                               ({**good, "extra": 1}, "extra"),
                               ({k: v for k, v in good.items() if k != "to_owner_id"}, "to_owner_id"),
                               ({**good, "transferred_at": "2023-07-01T02:00:00"}, "transferred_at"),
                               ([good], "_schema")]:
            with pytest.raises(InvalidInput) as caught:
                cluster.projects.transfer_projects(payload)
            assert caught.value.code == "invalid_input" and field in caught.value.details
        with pytest.raises(InvalidInput):
            cluster.projects.project_names_taken(delegate, "Trio")
        with pytest.raises(InvalidInput):
            cluster.projects.project_names_taken(delegate, [""])
        assert cluster.projects.project_names_taken("not-a-uuid", ["Trio"]) == []
        assert cluster.projects.project_names_taken(owner, []) == []
        # A delegate identity does not know: identity's refusal passes through, nothing moves.
        with pytest.raises(NotFound) as caught:
            cluster.projects.transfer_projects({**good, "to_owner_id": str(uuid.uuid4())})
        assert caught.value.code == "account_not_found"
        assert [p["owner_id"] for p in cluster.projects.list_projects(owner)] == [owner, owner]
    assert len(delegated_events(platform)) == 0


def _waiting(platform):
    from nameko.testing.services import entrypoint_waiter
    return entrypoint_waiter(platform.containers["projects"], "on_delegation_transferred", timeout=30)
