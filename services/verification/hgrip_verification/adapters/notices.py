"""The notices' tables (``adapters/tables.py``): ``SqlNoticeRecords`` is the ``NoticeRecords`` port,
on the unit of work's connection (the same transaction as the consumer's inbox row)."""
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from hgrip_kernel.ports import UnitOfWork

from ..domain.notices import NoticeKey
from .tables import notice_backups, notices_sent


class SqlNoticeRecords:
    def backup(self, uow: UnitOfWork, backup_id: str) -> Mapping[str, Any] | None:
        row = uow.connection.execute(
            select(notice_backups).where(notice_backups.c.backup_id == backup_id)).mappings().first()
        return dict(row) if row else None

    def apply_backup(self, uow: UnitOfWork, backup_id: str, sequence: int, owner_id: str | None,
                     backup_number: str | None, name: str | None) -> bool:
        """One statement (an upsert), not a locked read then a write: a round trip less per event."""
        values = {"backup_id": backup_id, "backup_number": backup_number, "name": name, "owner_id": owner_id,
                  "sequence": sequence}
        return uow.connection.execute(_APPLY_BACKUP[uow.connection.dialect.name], values).rowcount == 1

    def was_sent(self, uow: UnitOfWork, key: NoticeKey) -> bool:
        query = select(func.count()).select_from(notices_sent).where(and_(
            notices_sent.c.kind == key.kind, notices_sent.c.fact_id == key.fact_id,
            notices_sent.c.recipient_id == key.recipient_id))
        return bool(uow.connection.execute(query).scalar())

    def record_sent(self, uow: UnitOfWork, key: NoticeKey, backup_id: str, sent_to: str,
                    message_id: str, sent_at: datetime) -> None:
        uow.connection.execute(insert(notices_sent).values(
            kind=key.kind, fact_id=key.fact_id, recipient_id=key.recipient_id, backup_id=backup_id,
            sent_to=sent_to, message_id=message_id, sent_at=sent_at))

    @staticmethod
    def sent(connection: Any) -> list[dict]:
        """Every notice sent, oldest first (tests and operators)."""
        return [dict(row) for row in connection.execute(
            select(notices_sent).order_by(notices_sent.c.sent_at)).mappings().all()]


def _apply_backup_statement(dialect_insert: Any) -> Any:
    """INSERT the backup's row or fold the event into it: the owner only from a newer event (higher
    sequence), number and name only where unknown; no row changes (rowcount 0) when nothing is new."""
    new = dialect_insert(notice_backups).values(
        {c: bindparam(c) for c in ("backup_id", "backup_number", "name", "owner_id", "sequence")})
    row, event = notice_backups.c, new.excluded
    newer = event.sequence > row.sequence

    def unknown(column: str) -> Any:
        return and_(or_(row[column].is_(None), row[column] == ""), event[column].is_not(None),
                    event[column] != "")

    return new.on_conflict_do_update(
        index_elements=[row.backup_id],
        set_={"owner_id": case((newer, event.owner_id), else_=row.owner_id),
              "sequence": case((newer, event.sequence), else_=row.sequence),
              "backup_number": case((unknown("backup_number"), event.backup_number), else_=row.backup_number),
              "name": case((unknown("name"), event.name), else_=row.name)},
        where=or_(newer, unknown("backup_number"), unknown("name")))


_APPLY_BACKUP = {"postgresql": _apply_backup_statement(postgresql.insert),
                 "sqlite": _apply_backup_statement(sqlite.insert)}
