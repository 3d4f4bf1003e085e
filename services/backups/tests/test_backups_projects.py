"""BackupsService learns of projects from projects.ProjectCreated, exactly once per event."""
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import select

from hgrip_backups.adapters.tables import known_projects
from hgrip_kernel.messaging.topology import DEAD_LETTER_QUEUE
from hgrip_kernel.store.tables import events, inbox, outbox


def test_health_queries_the_database(backups):
    with backups.rpc() as cluster:
        assert cluster.backups.health() == {"service": "backups", "ok": True, "database": "ok"}


def test_project_created_is_applied_once_when_delivered_twice(backups, project_created):
    envelope = project_created()
    for delivery in (1, 2):
        with entrypoint_waiter(backups.container, "on_project_created") as waited:
            backups.publish(envelope)
        assert waited.get() is None, f"delivery {delivery} raised"

    with backups.rpc() as cluster:
        known = cluster.backups.get_known_project(envelope["data"]["project_id"])
    assert known == {"project_id": envelope["data"]["project_id"],
                     "owner_id": "5a0c8f2e-3b1d-4c6e-9f7a-0d2b4e6f8a10",
                     "institution_code": "NGDC", "name": "WGS trio",
                     "applied_event_id": envelope["event_id"]}
    assert backups.count(known_projects) == 1
    with backups.engine.connect() as connection:
        marks = connection.execute(select(inbox.c.consumer, inbox.c.event_id)).all()
    assert marks == [("backups.on_project_created", envelope["event_id"])]
    # A consumer of someone else's events records none of its own.
    assert backups.count(events) == backups.count(outbox) == 0


def test_unknown_project_is_none(backups):
    with backups.rpc() as cluster:
        assert cluster.backups.get_known_project("00000000-0000-4000-8000-000000000000") is None


def test_a_payload_breaking_the_contract_is_dead_lettered_not_applied(backups, project_created,
                                                                      wait_until):
    from kombu import Connection

    bad = project_created()
    del bad["data"]["institution_code"]
    good = project_created()
    backups.publish(bad)
    with entrypoint_waiter(backups.container, "on_project_created"):
        backups.publish(good)  # the queue keeps moving past the bad message

    def dead_letters():
        with Connection(backups.amqp_uri) as connection:
            return connection.default_channel.queue_declare(DEAD_LETTER_QUEUE, passive=True).message_count

    assert wait_until(dead_letters, message="the invalid event in the dead letters") == 1
    assert backups.count(known_projects) == 1
    with backups.rpc() as cluster:
        assert cluster.backups.get_known_project(bad["data"]["project_id"]) is None
