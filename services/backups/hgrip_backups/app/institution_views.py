"""Institution views (法人/单位管理员 "备份查看"): backup list and detail, members, delegates.

Every view takes the actor first and answers only a legal person (their whole institution) or a
unit administrator (their unit); anyone else gets 403 ``institution_admins_only``. Everything
outside the actor's scope is answered as if it did not exist (404 ``backup_not_found``, or simply
absent from a list). The SQL is in adapters/queries.py, the query schemas in
entrypoints/institution_schemas.py; docs/institution-views.md has the shapes.
"""
from collections.abc import Callable
from typing import Any

from hgrip_kernel.ids import canonical_id

from ..domain import refusals
from ..domain.scope import Authority
from .lifecycle import timeline
from .members import as_institution_admin
from .ports import Connection, Ports

Read = Callable[[Connection, Authority, dict], dict]


def institution_backups(ports: Ports, actor_id: Any, query: dict) -> dict:
    """备份列表: ``{items, total, page, page_size}``."""
    return _page(ports, actor_id, query, ports.institution.backup_page)


def institution_backups_export(ports: Ports, actor_id: Any, query: dict, after: list | None,
                               limit: int) -> dict:
    """One batch of the export of 备份列表 (every matching row, same scope and filters as the list):
    ``{items, next}``; the caller asks again with ``after=next`` until ``next`` is None. Each batch
    checks the actor again (an administrator who left mid-export gets 403 for the rest)."""
    return as_institution_admin(ports, actor_id, lambda connection, admin: ports.institution.backup_batch(
        connection, admin, query, after, limit))


def institution_backup(ports: Ports, actor_id: Any, backup_id: Any) -> dict:
    """备份详细信息 of one backup in the actor's scope; 404 backup_not_found otherwise."""
    wanted = canonical_id(backup_id)
    detail = as_institution_admin(ports, actor_id, lambda connection, admin: (
        ports.institution.backup_detail(connection, admin, wanted) if wanted is not None else None))
    if detail is None:
        raise refusals.backup_not_found()
    return detail


def institution_backup_history(ports: Ports, actor_id: Any, backup_id: Any) -> list[dict]:
    """The history of one backup in the actor's scope (the delegate's timeline, oldest first); the
    same refusals as its 备份详细信息 (403 for non-administrators, 404 outside the scope)."""
    detail = institution_backup(ports, actor_id, backup_id)
    return timeline(ports, detail["id"])


def institution_members(ports: Ports, actor_id: Any, query: dict) -> dict:
    """人员信息浏览."""
    return _page(ports, actor_id, query, ports.institution.member_page)


def institution_delegates(ports: Ports, actor_id: Any, query: dict) -> dict:
    """委托人信息浏览."""
    return _page(ports, actor_id, query, ports.institution.delegate_page)


def _page(ports: Ports, actor_id: Any, query: dict, read: Read) -> dict:
    """``read(connection, authority, query)`` for an administrator (the entrypoint checked the
    query first: a malformed one is refused before anything is read)."""
    return as_institution_admin(ports, actor_id, lambda connection, admin: read(connection, admin, query))
