"""The operator's console (role ``operator``): any backup found by its number — a new one (BF +
Beijing date + serial) or a legacy one from the old platform (also BF…) — with its detail as the
institution's 备份详细信息 shows it, its owner and its history. Read only: operators never edit
a backup. HGRG's side (pushes, owner changes) is registry-sync's; the gateway joins the two."""
import re
from typing import Any

from hgrip_kernel.contracts.backups import LEGACY_OR_NEW_NUMBER

from ..domain import refusals
from ..domain.scope import Authority
from .lifecycle import timeline
from .members import authority
from .ports import Ports


def operator_of(ports: Ports, actor_id: Any) -> Authority:
    """The actor as an operator, else 403 operators_only."""
    with ports.connect() as connection:
        return authority(ports, connection, actor_id).require_operator()


def operator_backup(ports: Ports, actor_id: Any, backup_number: Any) -> dict:
    """``{backup: detail, owner: member | null, history}``; 404 backup_not_found for a number no
    backup carries (or that is no backup number at all)."""
    operator_of(ports, actor_id)
    number = backup_number.strip().upper() if isinstance(backup_number, str) else ""
    if not re.fullmatch(LEGACY_OR_NEW_NUMBER, number):
        raise refusals.backup_not_found()
    with ports.connect() as connection:
        backup_id = ports.backups.backup_ids_by_number(connection, [number]).get(number)
        detail = ports.institution.backup_detail(connection, None, backup_id) if backup_id else None
        if detail is None:
            raise refusals.backup_not_found()
        delegate = detail["delegate"]
        member = ports.members.get_member(connection, delegate["account_id"]) if delegate else None
    return {"backup": detail, "owner": owner_view(member), "history": timeline(ports, detail["id"])}


def owner_view(member: Any) -> dict | None:
    if member is None:
        return None
    institution = {"code": member["institution_code"], "name": member["institution_name"]} \
        if member["institution_code"] else None
    unit = {"code": member["unit_code"], "name": member["unit_name"]} if member["unit_code"] else None
    return {"account_id": member["account_id"], "username": member["username"], "name": member["name"],
            "role": member["role"], "employed": bool(member["employed"]), "institution": institution, "unit": unit}
