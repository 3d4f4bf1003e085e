"""Institution views (法人/单位管理员 "备份查看"): backup list and detail, members, delegates.

Every RPC takes the actor first and answers only a legal person (their whole institution) or a
unit administrator (their unit); anyone else gets 403 ``institution_admins_only``. Everything
outside the actor's scope is answered as if it did not exist (404 ``backup_not_found``, or simply
absent from a list). The SQL is in institution_queries.py, the query schemas in
institution_schemas.py; docs/institution-views.md has the shapes.
"""
import uuid

from nameko.rpc import rpc

from hgrip_kernel.errors import DomainError

from . import institution_queries, institution_schemas
from .domain import refusals
from .domain.scope import Authority

# Refusals are answers, not faults (as service.py's refusing_rpc).
refusing_rpc = rpc(expected_exceptions=DomainError)


class InstitutionViewsMixin:
    """Part of BackupsService (service.py): uses its store and ``_authority`` (service_members)."""

    @refusing_rpc
    def institution_backups(self, actor_id, query=None):
        """备份列表: ``query`` {status, unit, name, pi, delegate, backup_number, filing_number,
        page, page_size, sort} → ``{items, total, page, page_size}``."""
        return self._page(actor_id, institution_schemas.load_backup_query(query),
                          institution_queries.backup_page)

    @refusing_rpc
    def institution_backup(self, actor_id, backup_id):
        """备份详细信息 of one backup in the actor's scope; 404 backup_not_found otherwise."""
        authority = self._institution_admin(actor_id)
        wanted = _canonical(backup_id)
        detail = None
        if wanted is not None:
            with self.store.engine.connect() as connection:
                detail = institution_queries.backup_detail(connection, authority, wanted)
        if detail is None:
            raise refusals.backup_not_found()
        return detail

    @refusing_rpc
    def institution_members(self, actor_id, query=None):
        """人员信息浏览: ``query`` {name, unit, role, page, page_size}."""
        return self._page(actor_id, institution_schemas.load_member_query(query),
                          institution_queries.member_page)

    @refusing_rpc
    def institution_delegates(self, actor_id, query=None):
        """委托人信息浏览: ``query`` {name, unit, employed, page, page_size}."""
        return self._page(actor_id, institution_schemas.load_delegate_query(query),
                          institution_queries.delegate_page)

    def _page(self, actor_id, values, read):
        """``read(connection, authority, values)`` for an administrator (the query is checked
        first: a malformed one is refused before anything is read)."""
        authority = self._institution_admin(actor_id)
        with self.store.engine.connect() as connection:
            return read(connection, authority, values)

    def _institution_admin(self, actor_id) -> Authority:
        """The actor as a legal person or unit administrator, else 403 institution_admins_only.
        (Its own connection: asking identity, when the member row is missing, happens with no
        query of ours still open.)"""
        with self.store.engine.connect() as connection:
            return self._authority(connection, actor_id).require_admin()


def _canonical(value) -> str | None:
    """Ids are stored in canonical lower-case form; anything that is no UUID matches nothing."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None
