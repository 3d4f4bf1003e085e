"""Delegation transfer (委托调整): a legal person or unit administrator moves every backup and
project of one natural person to another member of the same institution (manual "备份管理").

One unit of work moves every backup (BackupDelegated on each stream, read model rows with them)
and records DelegationTransferred (stream ``delegation-<id>``) naming the projects: all or
nothing. Projects then move by a synchronous call to projects, and should that call not get
through, projects' consumer of DelegationTransferred moves them (both are idempotent).
registry-sync tells HGRG the new owner of every numbered backup from BackupDelegated.
"""
import uuid

from nameko.exceptions import UnknownService
from nameko.rpc import rpc
from sqlalchemy import select, update

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.errors import DomainError
from hgrip_kernel.events import DomainEvent

from . import members, projections, schemas
from .domain import Backup, backup_stream_id, refusals
from .domain.scope import NATURAL_PERSON

DELEGATION_STREAM_PREFIX = "delegation-"

refusing_rpc = rpc(expected_exceptions=DomainError)


class DelegationMixin:
    """Part of BackupsService (service.py)."""

    @refusing_rpc
    def transfer_delegation(self, actor_id, payload):
        values = schemas.load_transfer(payload)
        with self.store.engine.connect() as connection:
            authority = self._authority(connection, actor_id).require_admin()
            source = self._member_in_scope(connection, authority, "from_account", values["from_account"])
            target = self._member_in_scope(connection, authority, "to_account", values["to_account"])
            if source["account_id"] == target["account_id"]:
                raise refusals.delegation_to_same_person()
            if target["role"] != NATURAL_PERSON:
                raise refusals.delegate_not_natural_person(target["username"])
            if not target["employed"]:
                raise refusals.delegate_not_employed(target["username"])
            clashes = _project_name_clashes(connection, source["account_id"], target["account_id"])
            if clashes:
                raise refusals.delegate_has_project_named(clashes)
        transfer_id = str(uuid.uuid4())

        def work(uow):
            now = utcnow()
            backup_ids = _owned_backup_ids(uow.connection, source["account_id"])
            project_ids = _owned_project_ids(uow.connection, source["account_id"])
            moved = []
            for backup_id in backup_ids:
                backup = uow.load(Backup, backup_stream_id(backup_id))
                backup.delegate(transfer_id, target["account_id"], target["username"],
                                target["unit_code"], authority.account_id, now)
                if backup.pending:
                    uow.save(backup)
                    projections.write_backup(uow.connection, backup)
                    moved.append({"id": backup.backup_id, "backup_number": backup.backup_number,
                                  "name": backup.name})
            if project_ids:
                uow.connection.execute(
                    update(projections.known_projects)
                    .where(projections.known_projects.c.project_id.in_(project_ids))
                    .values(owner_id=target["account_id"]))
            transfer = {
                "transfer_id": transfer_id, "from_owner_id": source["account_id"],
                "to_owner_id": target["account_id"], "to_username": target["username"],
                "institution_code": target["institution_code"], "to_unit_code": target["unit_code"],
                "project_ids": project_ids, "backup_ids": [b["id"] for b in moved],
                "transferred_by": authority.account_id, "transferred_at": now.isoformat(),
            }
            uow.append("delegation", f"{DELEGATION_STREAM_PREFIX}{transfer_id}", 0,
                       [DomainEvent("DelegationTransferred", transfer)])
            return transfer, moved

        transfer, moved = self._write(actor_id, work)
        projects_moved = self._move_projects(transfer)
        self.ctx.log.info("delegation_transferred", transfer_id=transfer_id,
                          from_owner_id=source["account_id"], to_owner_id=target["account_id"],
                          backups=len(moved), projects=len(transfer["project_ids"]),
                          projects_moved_now=projects_moved)
        return {"transfer_id": transfer_id,
                "from_account": {"username": source["username"], "name": source["name"]},
                "to_account": {"username": target["username"], "name": target["name"]},
                "backups": moved, "project_ids": transfer["project_ids"],
                "transferred_at": transfer["transferred_at"]}

    def _member_in_scope(self, connection, authority, field, username):
        """The member named ``username`` if the administrator may act on them; anyone else
        (unknown, another unit, another institution) is answered the same way."""
        row = members.find_member(connection, username)
        if row is None or not authority.covers(row["institution_code"], row["unit_code"]):
            raise refusals.member_not_found(field, username)
        return row

    def _move_projects(self, transfer) -> bool:
        """Ask projects to move them now; if it cannot answer, its consumer of the event will."""
        if not transfer["project_ids"]:
            return True
        try:
            self.projects.transfer_projects(transfer)
            return True
        except (DomainError, UnknownService) as exc:
            self.ctx.log.warning("projects_transfer_deferred", transfer_id=transfer["transfer_id"],
                                 reason=getattr(exc, "code", type(exc).__name__))
            return False


def _owned_backup_ids(connection, owner_id) -> list[str]:
    query = (select(projections.backups.c.id).where(projections.backups.c.owner_id == owner_id)
             .order_by(projections.backups.c.created_at, projections.backups.c.id))
    return list(connection.execute(query).scalars())


def _owned_project_ids(connection, owner_id) -> list[str]:
    table = projections.known_projects
    query = select(table.c.project_id).where(table.c.owner_id == owner_id).order_by(table.c.project_id)
    return list(connection.execute(query).scalars())


def _project_name_clashes(connection, from_owner_id, to_owner_id) -> list[str]:
    """Names of the moving projects the new delegate already uses (names are unique per person)."""
    table = projections.known_projects
    moving = set(connection.execute(select(table.c.name).where(table.c.owner_id == from_owner_id)).scalars())
    if not moving:
        return []
    taken = connection.execute(select(table.c.name).where(table.c.owner_id == to_owner_id,
                                                          table.c.name.in_(moving))).scalars()
    return sorted(set(taken))
