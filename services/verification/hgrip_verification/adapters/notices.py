"""The notices' table (``adapters/tables.py``): ``SqlNoticeRecords`` is the ``NoticeRecords`` port on
``notices_sent``, on the unit of work's connection (the same transaction as the consumer's inbox row)."""
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select

from hgrip_kernel.ports import UnitOfWork

from ..domain.notices import NoticeKey
from .tables import notices_sent


class SqlNoticeRecords:
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
