"""Delegation transfer (委托调整): a legal person or unit administrator moves every backup and
project of one natural person to another member of the same institution (manual "备份管理").

One unit of work moves every backup (BackupDelegated on each stream, read model rows with them)
and records DelegationTransferred (stream ``delegation-<id>``) naming the projects: all or
nothing. Projects then move by a synchronous call to projects, and should that call not get
through, projects' consumer of DelegationTransferred moves them (both are idempotent).
registry-sync tells HGRG the new owner of every numbered backup from BackupDelegated.
"""
import uuid
from typing import Any

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.events import DomainEvent
from hgrip_kernel.ports import Request, UnitOfWork

from ..domain import refusals
from ..domain.backup import Backup, backup_stream_id
from ..domain.delegation import check_delegate, member_in_scope
from .members import authority
from .ports import Ports
from .writing import save_backup, write

DELEGATION_STREAM_PREFIX = "delegation-"


def transfer_delegation(ports: Ports, request: Request, actor_id: Any, values: dict) -> dict:
    with ports.connect() as connection:
        admin = authority(ports, connection, actor_id).require_admin()
        source = member_in_scope(admin, ports.members.find_member(connection, values["from_account"]),
                                 "from_account", values["from_account"])
        target = member_in_scope(admin, ports.members.find_member(connection, values["to_account"]),
                                 "to_account", values["to_account"])
        if source["account_id"] == target["account_id"]:
            raise refusals.delegation_to_same_person()
        check_delegate(target, target["username"])
        clashes = ports.backups.project_name_clashes(connection, source["account_id"], target["account_id"])
        if clashes:
            raise refusals.delegate_has_project_named(clashes)
    transfer_id = str(uuid.uuid4())

    def work(uow: UnitOfWork) -> tuple[dict, list[dict]]:
        now = utcnow()
        backup_ids = ports.backups.owned_backup_ids(uow.connection, source["account_id"])
        project_ids = ports.backups.owned_project_ids(uow.connection, source["account_id"])
        moved = []
        for backup_id in backup_ids:
            backup = uow.load(Backup, backup_stream_id(backup_id))
            assert backup is not None   # the read model has its row: the stream exists
            backup.delegate(transfer_id, target["account_id"], target["username"],
                            target["unit_code"], admin.account_id, now)
            if backup.pending:
                save_backup(ports, uow, backup)
                moved.append({"id": backup.backup_id, "backup_number": backup.backup_number,
                              "name": backup.name})
        if project_ids:
            ports.backups.move_projects(uow.connection, project_ids, target["account_id"])
        transfer = {
            "transfer_id": transfer_id, "from_owner_id": source["account_id"],
            "to_owner_id": target["account_id"], "to_username": target["username"],
            "institution_code": target["institution_code"], "to_unit_code": target["unit_code"],
            "project_ids": project_ids, "backup_ids": [b["id"] for b in moved],
            "transferred_by": admin.account_id, "transferred_at": now.isoformat(),
        }
        uow.append("delegation", f"{DELEGATION_STREAM_PREFIX}{transfer_id}", 0,
                   [DomainEvent("DelegationTransferred", transfer)])
        return transfer, moved

    transfer, moved = write(ports, request, actor_id, work)
    projects_moved = _move_projects(ports, request, transfer)
    request.log.info("delegation_transferred", transfer_id=transfer_id,
                     from_owner_id=source["account_id"], to_owner_id=target["account_id"],
                     backups=len(moved), projects=len(transfer["project_ids"]),
                     projects_moved_now=projects_moved)
    return {"transfer_id": transfer_id,
            "from_account": {"username": source["username"], "name": source["name"]},
            "to_account": {"username": target["username"], "name": target["name"]},
            "backups": moved, "project_ids": transfer["project_ids"],
            "transferred_at": transfer["transferred_at"]}


def _move_projects(ports: Ports, request: Request, transfer: dict) -> bool:
    """Ask projects to move them now; if it cannot answer, its consumer of the event will."""
    if not transfer["project_ids"]:
        return True
    reason = ports.projects.transfer_projects(transfer)
    if reason is None:
        return True
    request.log.warning("projects_transfer_deferred", transfer_id=transfer["transfer_id"], reason=reason)
    return False
