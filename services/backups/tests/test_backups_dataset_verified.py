"""verification.DatasetVerified completes a file exactly once, and stale news changes nothing."""
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import select

from hgrip_kernel.messaging.topology import DEAD_LETTER_QUEUE
from hgrip_kernel.store.tables import inbox

CONSUMER = "backups.on_dataset_verified"


def _deliver(lifecycle, envelope):
    [container] = lifecycle.containers["backups"]
    with entrypoint_waiter(container, "on_dataset_verified") as waited:
        lifecycle.publish(envelope)
    assert waited.get() is None  # handled without raising


def _verified_events(lifecycle, backup):
    return lifecycle.events(f"backup-{backup['id']}", "DataFileVerified")


def _dead_letters(lifecycle) -> int:
    from kombu import Connection
    with Connection(lifecycle.amqp_uri) as connection:
        return connection.default_channel.queue_declare(DEAD_LETTER_QUEUE, passive=True).message_count


def test_delivered_twice_applies_once(lifecycle, manual_backup, files, dataset_verified):
    owner, _, backup = manual_backup
    with lifecycle.rpc() as cluster:
        omix = cluster.backups.add_file(owner, backup["id"], files.omix())
    envelope = dataset_verified(backup["id"], omix["id"], "OMIX", "OMIX001226", actor=owner)
    for _ in (1, 2):  # the same message twice, as after a relay crash between publish and mark
        _deliver(lifecycle, envelope)
    # Another event saying the same thing (a second code entered) is a no-op too.
    _deliver(lifecycle, dataset_verified(backup["id"], omix["id"], "OMIX", "OMIX001226"))

    [event] = _verified_events(lifecycle, backup)
    assert event.causation_id == envelope["event_id"] and event.actor == owner
    assert event.data["verified_at"] == envelope["data"]["verified_at"]
    marks = lifecycle.rows(select(inbox.c.event_id).where(inbox.c.consumer == CONSUMER))
    assert len(marks) == 2 and (envelope["event_id"],) in marks
    with lifecycle.rpc() as cluster:
        assert cluster.backups.get_backup(owner, backup["id"])["files"][0]["progress"] == "complete"
        submitted = cluster.backups.submit(owner, backup["id"])
    assert submitted["backup_number"].startswith("BF")
    assert _dead_letters(lifecycle) == 0


def test_stale_news_is_a_no_op(lifecycle, manual_backup, files, dataset_verified):
    owner, _, backup = manual_backup
    with lifecycle.rpc() as cluster:
        moved = cluster.backups.add_file(owner, backup["id"], files.omix())
        removed = cluster.backups.add_file(owner, backup["id"], dict(files.omix(), accession="OMIX001227"))
        cluster.backups.update_file(owner, backup["id"], moved["id"], {"accession": "OMIX001229"})
        cluster.backups.delete_file(owner, backup["id"], removed["id"])
    stale = [
        dataset_verified(backup["id"], moved["id"], "OMIX", "OMIX001226"),     # accession changed
        dataset_verified(backup["id"], removed["id"], "OMIX", "OMIX001227"),   # file removed
        dataset_verified("00000000-0000-4000-8000-000000000000", moved["id"], "OMIX", "OMIX001229"),
    ]
    for envelope in stale:
        _deliver(lifecycle, envelope)
    assert _verified_events(lifecycle, backup) == []
    with lifecycle.rpc() as cluster:
        [left] = cluster.backups.get_backup(owner, backup["id"])["files"]
    assert (left["accession"], left["progress"]) == ("OMIX001229", "pending_verification")
    assert len(lifecycle.rows(select(inbox.c.event_id).where(inbox.c.consumer == CONSUMER))) == 3
    assert _dead_letters(lifecycle) == 0


def test_verify_file_and_the_event_race_to_one_completion(lifecycle, manual_backup, files, wait_until):
    owner, _, backup = manual_backup
    lifecycle.verification.publish = True  # verify_code publishes DatasetVerified, as the real one
    with lifecycle.rpc() as cluster:
        omix = cluster.backups.add_file(owner, backup["id"], files.omix())
        cluster.backups.request_verification_code(owner, backup["id"], omix["id"])
        verified = cluster.backups.verify_file(owner, backup["id"], omix["id"], "320000")
    assert verified["progress"] == "complete"
    wait_until(lambda: lifecycle.rows(select(inbox.c.event_id).where(inbox.c.consumer == CONSUMER)),
               message="the DatasetVerified event to be consumed")
    assert len(_verified_events(lifecycle, backup)) == 1
