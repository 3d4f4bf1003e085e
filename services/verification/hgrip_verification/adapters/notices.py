"""The notices' tables (``adapters/tables.py``): ``SqlNoticeRecords`` is the ``NoticeRecords`` port,
on the unit of work's connection (the same transaction as the consumer's inbox row)."""
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update

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
        connection = uow.connection
        row = connection.execute(select(notice_backups).where(notice_backups.c.backup_id == backup_id)
                                 .with_for_update()).mappings().first()
        if row is None:
            connection.execute(insert(notice_backups).values(
                backup_id=backup_id, backup_number=backup_number, name=name, owner_id=owner_id,
                sequence=sequence))
            return True
        values: dict[str, Any] = {}
        if sequence > row["sequence"]:
            values.update(owner_id=owner_id, sequence=sequence)
        if backup_number and not row["backup_number"]:
            values["backup_number"] = backup_number
        if name and not row["name"]:
            values["name"] = name
        if values:
            connection.execute(update(notice_backups).where(notice_backups.c.backup_id == backup_id)
                               .values(**values))
        return bool(values)

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
