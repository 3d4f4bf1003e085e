"""The ``notice_backups`` read model folded by one upsert per event, on PostgreSQL and SQLite (migrated
as in production): the owner only from a newer event, number and name only where unknown."""
import uuid

import pytest
from sqlalchemy import select

from hgrip_kernel.store import EventStore, create_engine
from hgrip_verification.adapters.notices import SqlNoticeRecords
from hgrip_verification.adapters.tables import notice_backups

OLD_OWNER, NEW_OWNER = str(uuid.uuid4()), str(uuid.uuid4())


@pytest.fixture(params=["postgresql", "sqlite"])
def store(request, migrated_database):
    engine = create_engine(migrated_database("verification", request.param))
    yield EventStore(engine, source="verification")
    engine.dispose()


def apply(store, backup_id, sequence, owner, number=None, name=None) -> bool:
    with store.unit_of_work() as uow:
        return SqlNoticeRecords().apply_backup(uow, backup_id, sequence, owner, number, name)


def row(store, backup_id) -> dict:
    with store.engine.connect() as connection:
        found = connection.execute(select(notice_backups).where(notice_backups.c.backup_id == backup_id))
        return dict(found.mappings().one())


def test_the_owner_comes_only_from_a_newer_event(store):
    backup = str(uuid.uuid4())
    assert apply(store, backup, 6, NEW_OWNER) is True                        # delegated first (reordered)
    assert apply(store, backup, 3, OLD_OWNER, "BF2026120200001", "备份") is True   # submitted, older
    assert row(store, backup) == {"backup_id": backup, "backup_number": "BF2026120200001", "name": "备份",
                                  "owner_id": NEW_OWNER, "sequence": 6}
    assert apply(store, backup, 3, OLD_OWNER, "BF2026120200001", "备份") is False  # a duplicate changes nothing
    assert apply(store, backup, 6, OLD_OWNER, "BF2026120299999", "") is False      # same sequence, all known
    assert row(store, backup)["owner_id"] == NEW_OWNER
    assert apply(store, backup, 9, OLD_OWNER, None, None) is True                  # newer: owner moves back
    assert row(store, backup) == {"backup_id": backup, "backup_number": "BF2026120200001", "name": "备份",
                                  "owner_id": OLD_OWNER, "sequence": 9}


def test_a_known_number_and_name_are_kept_and_unknown_ones_filled(store):
    backup = str(uuid.uuid4())
    assert apply(store, backup, 2, OLD_OWNER, None, "") is True
    assert apply(store, backup, 1, NEW_OWNER, "", None) is False          # empty says nothing
    assert apply(store, backup, 1, NEW_OWNER, "BF2026120200002", None) is True
    assert apply(store, backup, 1, NEW_OWNER, None, "名称") is True
    assert row(store, backup) == {"backup_id": backup, "backup_number": "BF2026120200002", "name": "名称",
                                  "owner_id": OLD_OWNER, "sequence": 2}
