"""HGRG filing numbers on backups (link_filing) on PostgreSQL + RabbitMQ: idempotence, several
filings on one backup, unknown numbers, and the declared-volume warning."""
import uuid

import pytest
from sqlalchemy import select

from hgrip_backups.adapters.tables import filings
from hgrip_kernel.errors import InvalidInput
from hgrip_kernel.store.tables import events

FILED_AT = "2026-01-15T10:00:00+08:00"


def submitted(lifecycle, owner, project, files, name="备份", cases=50):
    """A submitted backup of ``cases`` × 2000 MB (the PI's own dataset: complete at once)."""
    with lifecycle.rpc() as cluster:
        backup = cluster.backups.create_backup(owner, project["id"], {"name": name, "categories": ["wgs"]})
        cluster.backups.add_file(owner, backup["id"], dict(files.hra(), cases=cases))
        return cluster.backups.submit(owner, backup["id"])


def filing(number, backup_numbers, declared_mb=1_000_000, recipient="Pacific Genomics Ltd (US)"):
    return {"filing_number": number, "backup_numbers": backup_numbers, "declared_mb": declared_mb,
            "recipient": recipient, "filed_at": FILED_AT}


@pytest.fixture
def owner_and_project(lifecycle):
    owner = lifecycle.provision()
    return owner, lifecycle.project(owner)


def test_link_filing_is_idempotent_and_reports_unknown_numbers(lifecycle, owner_and_project, files):
    owner, project = owner_and_project
    backup = submitted(lifecycle, owner, project, files)
    number = backup["backup_number"]
    unknown = "BF2000010199999"
    payload = filing("BA202601150001", [number, unknown, number])
    with lifecycle.rpc() as cluster:
        first = cluster.backups.link_filing(payload)
        events_after_first = lifecycle.count(events)
        again = cluster.backups.link_filing(payload)
        detail = cluster.backups.get_backup(owner, backup["id"])
        timeline = cluster.backups.history(owner, backup["id"])
    assert first == again == {"filing_number": "BA202601150001", "linked": [number], "unknown": [unknown]}
    assert lifecycle.count(events) == events_after_first          # the repeat recorded nothing
    linked = lifecycle.events(f"backup-{backup['id']}", "FilingLinked")
    assert len(linked) == 1
    assert linked[0].data == {"backup_id": backup["id"], "filing_number": "BA202601150001",
                              "declared_mb": 1_000_000, "recipient": "Pacific Genomics Ltd (US)",
                              "filed_at": "2026-01-15T02:00:00+00:00"}
    assert linked[0].actor is None
    assert detail["filing_numbers"] == ["BA202601150001"]
    assert detail["filings"] == [{"filing_number": "BA202601150001", "recipient": "Pacific Genomics Ltd (US)",
                                  "declared_mb": 1_000_000, "cited_total_mb": 100_000,
                                  "exceeds_declared": False, "filed_at": "2026-01-15T02:00:00+00:00"}]
    assert timeline[-1]["event_type"] == "FilingLinked" and "BA202601150001" in timeline[-1]["summary_zh"]
    assert lifecycle.count(filings) == 1


def test_several_filings_on_one_backup_and_the_volume_warning(lifecycle, owner_and_project, files):
    owner, project = owner_and_project
    big = submitted(lifecycle, owner, project, files, "大", cases=50)      # 100 000 MB
    small = submitted(lifecycle, owner, project, files, "小", cases=10)    # 20 000 MB
    draft_id = None
    with lifecycle.rpc() as cluster:
        draft_id = cluster.backups.create_backup(owner, project["id"], {"name": "草稿", "categories": ["wgs"]})["id"]
        # One filing per recipient: the first cites both backups and declares too little.
        cluster.backups.link_filing(filing("BA202601150001", [big["backup_number"], small["backup_number"]],
                                           declared_mb=110_000, recipient="Recipient A"))
        cluster.backups.link_filing(filing("BA202601150002", [big["backup_number"]],
                                           declared_mb=100_000, recipient="Recipient B"))
        big_now = cluster.backups.get_backup(owner, big["id"])
        small_now = cluster.backups.get_backup(owner, small["id"])
        listed = cluster.backups.list_backups(owner, project["id"])
        only_b = cluster.backups.list_backups(owner, project["id"], "BA202601150002")
        with pytest.raises(InvalidInput):
            cluster.backups.link_filing({**filing("BA1", [big["backup_number"]]), "declared_mb": 0})
        with pytest.raises(InvalidInput):
            cluster.backups.link_filing({**filing("BA1", []), "extra": 1})
    assert big_now["filing_numbers"] == ["BA202601150001", "BA202601150002"]
    by_number = {f["filing_number"]: f for f in big_now["filings"]}
    assert by_number["BA202601150001"]["cited_total_mb"] == 120_000
    assert by_number["BA202601150001"]["exceeds_declared"] is True
    assert by_number["BA202601150002"]["cited_total_mb"] == 100_000
    assert by_number["BA202601150002"]["exceeds_declared"] is False      # equal is not more
    assert small_now["filing_numbers"] == ["BA202601150001"]
    assert [f["exceeds_declared"] for f in small_now["filings"]] == [True]
    assert {b["id"]: b["filing_numbers"] for b in listed} == {
        big["id"]: ["BA202601150001", "BA202601150002"], small["id"]: ["BA202601150001"], draft_id: []}
    assert [b["id"] for b in only_b] == [big["id"]]
    assert lifecycle.rows(select(filings.c.filing_number, filings.c.backup_id)
                          .order_by(filings.c.filing_number, filings.c.backup_id)) == sorted([
        ("BA202601150001", big["id"]), ("BA202601150001", small["id"]), ("BA202601150002", big["id"])])


def test_a_filing_citing_nothing_known_links_nothing(lifecycle):
    before = lifecycle.count(events)
    with lifecycle.rpc() as cluster:
        answer = cluster.backups.link_filing(filing("BA202601150009", ["BF2000010100001", str(uuid.uuid4())]))
    assert answer["linked"] == [] and len(answer["unknown"]) == 2
    assert lifecycle.count(events) == before and lifecycle.count(filings) == 0
