"""Backup numbers under concurrency: unique, consecutive, never reused, across instances; and two
requests editing one backup both get through (reload and retry)."""
from collections import defaultdict

import eventlet
import pytest
from sqlalchemy import select

from hgrip_backups.adapters.tables import backup_number_counters, backups

COUNT = 200


def _ready_backups(lifecycle, files, count):
    """``count`` backups of one researcher, each with one complete file: ``(owner, [ids])``."""
    owner = lifecycle.provision()
    project = lifecycle.project(owner)
    with lifecycle.rpc(timeout=120) as cluster:
        created = [cluster.backups.create_backup.call_async(
            owner, project["id"], {"name": f"备份 {n}", "categories": ["targeted"]}) for n in range(count)]
        ids = [reply.result()["id"] for reply in created]
        added = [cluster.backups.add_file.call_async(owner, backup_id, files.hra()) for backup_id in ids]
        assert all(reply.result()["progress"] == "complete" for reply in added)
    return owner, ids


def _assert_numbered_once_each(lifecycle, numbers):
    assert len(numbers) == COUNT and len(set(numbers)) == COUNT
    serials = defaultdict(list)
    for number in numbers:
        assert number.startswith("BF") and len(number) == 15
        serials[number[2:10]].append(int(number[10:]))
    # Per Beijing day (a run may straddle midnight), serials 1..n with no gap and no repeat.
    for day, taken in serials.items():
        assert sorted(taken) == list(range(1, len(taken) + 1)), day
    counters = dict(lifecycle.rows(select(backup_number_counters.c.day, backup_number_counters.c.last)))
    assert counters == {day: len(taken) for day, taken in serials.items()}
    stored = [row.backup_number for row in lifecycle.rows(select(backups.c.backup_number))]
    assert sorted(stored) == sorted(numbers)
    submitted = lifecycle.events(event_type="BackupSubmitted")
    assert sorted(row.data["backup_number"] for row in submitted) == sorted(numbers)  # the events' own


def test_concurrent_submits_get_distinct_consecutive_numbers(lifecycle, files):
    owner, ids = _ready_backups(lifecycle, files, COUNT)
    with lifecycle.rpc(timeout=120) as cluster:
        replies = [cluster.backups.submit.call_async(owner, backup_id) for backup_id in ids]
        numbers = [reply.result()["backup_number"] for reply in replies]
    assert len(set(numbers)) == COUNT
    _assert_numbered_once_each(lifecycle, numbers)


def test_two_instances_and_green_threads_share_one_numbering(make_lifecycle, files, rpc_proxy):
    lifecycle = make_lifecycle(backups_instances=2)
    owner, ids = _ready_backups(lifecycle, files, COUNT)
    submits = _count_submits(lifecycle.containers["backups"])

    def submit_share(share):
        # Each green thread is its own client; the broker spreads the calls over both instances.
        with lifecycle.rpc(timeout=120) as cluster:
            return [cluster.backups.submit(owner, backup_id)["backup_number"] for backup_id in share]

    pool = eventlet.GreenPool(20)
    shares = [ids[n::20] for n in range(20)]
    numbers = [number for share in pool.imap(submit_share, shares) for number in share]
    _assert_numbered_once_each(lifecycle, numbers)
    assert sum(submits) == COUNT and all(submits), submits  # both instances numbered backups


def _count_submits(containers) -> list:
    """Counts the submit workers each container spawns (observation only: the call goes on)."""
    counts = [0] * len(containers)

    def counting(index, spawn):
        def spawn_worker(entrypoint, *args, **kwargs):
            if entrypoint.method_name == "submit":
                counts[index] += 1
            return spawn(entrypoint, *args, **kwargs)
        return spawn_worker

    for index, container in enumerate(containers):
        container.spawn_worker = counting(index, container.spawn_worker)
    return counts


@pytest.mark.parametrize("rounds", [10])
def test_two_requests_editing_one_backup_both_succeed(lifecycle, manual_backup, files, rounds):
    owner, _, backup = manual_backup
    with lifecycle.rpc(timeout=60) as cluster:
        hra = cluster.backups.add_file(owner, backup["id"], files.hra())
        other = cluster.backups.add_file(owner, backup["id"], dict(files.hra(), accession="HRA000568"))
        for n in range(1, rounds + 1):
            replies = [cluster.backups.update_file.call_async(owner, backup["id"], hra["id"], {"cases": n}),
                       cluster.backups.update_file.call_async(owner, backup["id"], other["id"], {"cases": n}),
                       cluster.backups.update_backup.call_async(owner, backup["id"], {"name": f"第 {n} 版"})]
            for reply in replies:
                reply.result()  # none refused: a lost race reloads and applies again
        final = cluster.backups.get_backup(owner, backup["id"])
    assert [f["cases"] for f in final["files"]] == [rounds, rounds]
    assert final["name"] == f"第 {rounds} 版"
    versions = [row.stream_version for row in lifecycle.events(f"backup-{backup['id']}")]
    assert versions == list(range(1, 3 + 3 * rounds + 1))  # created, 2 added, 3 per round
