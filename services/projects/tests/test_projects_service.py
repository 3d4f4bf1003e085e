"""ProjectsService on real PostgreSQL and RabbitMQ, with the real identity and backups services."""
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from hgrip_kernel.contracts import registry
from hgrip_kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from hgrip_kernel.store.tables import events, inbox, outbox
from hgrip_projects.adapters.tables import projects

NAME = "三例样本（父母子）的测序数据开放共享备案"


def test_health_queries_the_database(platform):
    with platform.rpc() as cluster:
        assert cluster.projects.health() == {"service": "projects", "ok": True, "database": "ok"}


def test_create_then_list_then_get(platform, new_project, wait_until):
    owner = platform.provision()
    with platform.rpc(correlation_id="req-create-1") as cluster:
        created = cluster.projects.create_project(owner, new_project(name=f"  {NAME}  "))
    assert created == {
        "id": created["id"], "name": NAME, "pi_name": "刘晓寒", "pi_email": "liuxh@big.ac.cn",
        "institution": {"code": "NGDC", "name": "国家基因组科学数据中心"},  # from the authorisation
        "unit": {"code": "U1", "name": "数据库部"},
        "owner_id": owner, "created_at": created["created_at"],
    }
    uuid.UUID(created["id"])
    created_at = datetime.fromisoformat(created["created_at"])
    assert created_at.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - created_at).total_seconds()) < 60

    with platform.rpc() as cluster:
        second = cluster.projects.create_project(owner, new_project(name="WGS trio, batch 2"))
        assert cluster.projects.list_projects(owner) == [second, created]  # newest first
        assert cluster.projects.get_project(owner, created["id"]) == created
        assert cluster.projects.get_project(owner, created["id"].upper()) == created

    # One ProjectCreated per project, on its own stream, valid against the published contract.
    [stored] = platform.rows("projects", select(events).where(
        events.c.stream_id == f"project-{created['id']}"))
    assert (stored.event_type, stored.stream_type, stored.stream_version) == ("ProjectCreated", "project", 1)
    assert (stored.actor, stored.correlation_id) == (owner, "req-create-1")
    registry.validate("projects", "ProjectCreated", 1, stored.data)
    assert stored.data["owner_id"] == owner and stored.data["owner_username"].startswith("researcher")
    assert stored.data["institution_code"] == "NGDC" and stored.data["unit_code"] == "U1"
    assert platform.count("projects", outbox) == 2

    # The event reached backups through the outbox relay and the broker.
    known = wait_until(lambda: _known(platform, created["id"]), message="backups to learn the project")
    assert known == {"project_id": created["id"], "owner_id": owner, "institution_code": "NGDC",
                     "name": NAME, "applied_event_id": stored.event_id}


def test_projects_are_private_to_their_owner(platform, new_project):
    owner, other = platform.provision(), platform.provision()
    with platform.rpc() as cluster:
        created = cluster.projects.create_project(owner, new_project())
        assert cluster.projects.list_projects(other) == []
        for actor, project_id in [(other, created["id"]),          # someone else's
                                  (owner, str(uuid.uuid4())),      # missing
                                  (owner, "not-a-uuid")]:          # malformed
            with pytest.raises(NotFound) as caught:
                cluster.projects.get_project(actor, project_id)
            assert caught.value.code == "project_not_found"
            assert caught.value.message_zh == "项目不存在。"


def test_a_name_is_unique_within_one_account_only(platform, new_project):
    owner, other = platform.provision(), platform.provision()
    with platform.rpc() as cluster:
        cluster.projects.create_project(owner, new_project())
        with pytest.raises(Conflict) as caught:
            cluster.projects.create_project(owner, new_project(name=f" {NAME}\t", pi_name="王五"))
        assert caught.value.code == "project_name_taken"
        assert caught.value.http_status == 409
        assert cluster.projects.create_project(other, new_project())["name"] == NAME
    assert platform.count("projects", events) == 2


def test_concurrent_duplicate_creates_yield_exactly_one_project(platform, new_project):
    owner = platform.provision()
    with platform.rpc(timeout=60) as cluster:
        replies = [cluster.projects.create_project.call_async(owner, new_project()) for _ in range(10)]
        outcomes = []
        for reply in replies:
            try:
                outcomes.append(reply.result())
            except Conflict as exc:
                outcomes.append(exc.code)
        assert cluster.projects.list_projects(owner) == [o for o in outcomes if isinstance(o, dict)]
    assert sorted(o if isinstance(o, str) else "created" for o in outcomes) == \
        ["created"] + ["project_name_taken"] * 9
    # The losers left nothing behind: no event, no outbox row, no read-model row.
    assert platform.count("projects", projects) == 1
    assert platform.count("projects", events) == 1
    assert platform.count("projects", outbox) == 1


@pytest.mark.parametrize("account,payload,error,code", [
    ({"role": "legal_person", "unit": None}, {}, Forbidden, "natural_person_only"),
    ({"real_name_verified": False}, {}, Forbidden, "real_name_required"),
    ({"authorised": False, "authorised_at": None}, {}, Forbidden, "authorisation_required"),
    ({"institution": "FGL", "unit": None}, {}, Forbidden, "foreign_institution"),
    ({}, {"consent": False}, InvalidInput, "consent_required"),
    ({}, {"consent": None}, InvalidInput, "consent_required"),
    ({}, {"name": " ", "pi_email": "nope"}, InvalidInput, "invalid_input"),
    ({}, {"institution": "FGL"}, InvalidInput, "invalid_input"),
])
def test_refusals_change_nothing(platform, new_project, account, payload, error, code):
    owner = platform.provision(**account)
    with platform.rpc() as cluster:
        with pytest.raises(error) as caught:
            cluster.projects.create_project(owner, new_project(**payload))
        assert cluster.projects.list_projects(owner) == []
    assert caught.value.code == code
    assert caught.value.message and caught.value.message_zh
    if code == "invalid_input":
        assert set(caught.value.details) in ({"name", "pi_email"}, {"institution"})
    assert platform.count("projects", events) == 0
    assert platform.count("projects", outbox) == 0
    assert platform.count("projects", projects) == 0


def test_backups_applies_a_redelivered_project_created_once(platform, new_project, wait_until):
    from kombu import Connection, Producer
    from nameko.testing.services import entrypoint_waiter

    from hgrip_kernel.messaging.topology import DEAD_LETTER_QUEUE, events_exchange

    owner = platform.provision()
    with platform.rpc() as cluster:
        created = cluster.projects.create_project(owner, new_project())
    wait_until(lambda: _known(platform, created["id"]), message="first delivery")

    # Deliver the very same message again (same body, same message id), as a relay that crashed
    # between publishing and marking its outbox row would.
    [message] = platform.messages("projects")
    properties = dict(message["properties"])
    headers = properties.pop("application_headers")
    with entrypoint_waiter(platform.containers["backups"], "on_project_created") as waited, \
            Connection(platform.amqp_uri) as connection:
        Producer(connection).publish(message["body"], exchange=events_exchange, headers=headers,
                                     routing_key=message["routing_key"], **properties)
    assert waited.get() is None  # handled without raising (a second insert would have raised)

    # Backups also consumes identity's events: count only its ProjectCreated consumer's marks.
    assert platform.rows("backups", select(inbox.c.event_id).where(
        inbox.c.consumer == "backups.on_project_created")) == [(message["properties"]["message_id"],)]
    assert _known(platform, created["id"])["applied_event_id"] == message["properties"]["message_id"]
    with Connection(platform.amqp_uri) as connection:
        declared = connection.default_channel.queue_declare(DEAD_LETTER_QUEUE, passive=True)
    assert declared.message_count == 0


def _known(platform, project_id):
    with platform.rpc() as cluster:
        return cluster.backups.get_known_project(project_id)


def test_health_reports_an_unreachable_database(pg_admin_url, service_config, start_service,
                                                rpc_proxy):
    from hgrip_projects.entrypoints.service import ProjectsService

    missing = pg_admin_url.rsplit("/", 1)[0] + "/hgrip_no_such_database"
    start_service(ProjectsService, service_config("projects", missing, RELAY_ENABLED=False))
    with rpc_proxy() as cluster:
        assert cluster.projects.health() == {"service": "projects", "ok": False,
                                             "database": "unavailable"}
