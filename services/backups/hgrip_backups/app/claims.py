"""Legacy backups (manual "备份认领"): auto-attach at first login, claims by SMS and by an institution.

The backups come from ``hgrip legacy import`` (legacy_import.py); here they get their owner, once:
- ``identity.LoginSucceeded`` with ``first_login``: a natural person whose name, mobile and
  institution equal a registrant's gets that registrant's unclaimed backups (``auto``);
- ``request_claim_code`` / ``claim_legacy``: a natural person names the registrant (name + old
  mobile), proves the mobile with an SMS code (verification), and gets them all (``sms``);
- ``institution_claim``: a legal person or unit admin names the registrant and a new delegate among
  its own members; no SMS (``institution``).
Either way the new owner must belong to the registrant's institution (tolerant name comparison).
All of a registrant's unclaimed backups move in one unit of work; their ``legacy_backups`` rows are
locked first, so of two claims racing for one registrant exactly one wins.
"""
from collections.abc import Mapping
from typing import Any

from hgrip_kernel.envelope import Envelope, utcnow
from hgrip_kernel.ids import canonical_id
from hgrip_kernel.ports import Request, UnitOfWork

from ..domain import refusals
from ..domain.backup import Backup, backup_stream_id
from ..domain.delegation import check_delegate, member_in_scope
from ..domain.legacy import AUTO, INSTITUTION, SMS, SMS_PURPOSE, NewOwner, check_same_institution, claim_subject
from ..domain.mobile import mobile_hash
from ..domain.names import name_key
from ..domain.scope import NATURAL_PERSON
from .members import authority
from .ports import Ports
from .writing import save_backup, write

CONSUMER_LOGIN_SUCCEEDED = "backups.on_login_succeeded"


class MemberNotKnownYet(Exception):
    """identity's account (or institution) event has not reached this service yet: retry later."""


# --- auto-attach at first login -----------------------------------------------------------------
def login_succeeded(ports: Ports, request: Request, envelope: Envelope) -> None:
    data = envelope.data
    account_id = str(data["account_id"])
    if not data["first_login"]:
        return   # only the first login attaches; later ones never move anything

    def work(uow: UnitOfWork) -> list[dict] | None:
        if not uow.first_time(CONSUMER_LOGIN_SUCCEEDED, envelope.event_id):
            return None
        member = ports.members.get_member(uow.connection, account_id)
        if member is None or (member["institution_code"] and member["institution_key"] is None):
            raise MemberNotKnownYet(account_id)   # rolled back; the consumer retries the event
        if member["role"] != NATURAL_PERSON or not member["mobile_hash"] \
                or not member["institution_key"]:
            return []
        rows = ports.legacy.registrant_rows(
            uow.connection, member["name_key"], member["mobile_hash"], unclaimed_only=True,
            institution_key=member["institution_key"], lock=True)
        return claim_rows(ports, uow, rows, new_owner(member), AUTO, account_id)

    claimed = write(ports, request, account_id, work, causation_id=envelope.event_id)
    if claimed is None:
        request.log.info("duplicate_event_ignored", event_id=envelope.event_id)
    elif claimed:
        request.log.info("legacy_backups_claimed", how=AUTO, owner_id=account_id,
                         backup_numbers=[c["backup_number"] for c in claimed])


# --- claims by a natural person (SMS) -----------------------------------------------------------
def request_claim_code(ports: Ports, request: Request, actor_id: Any, values: dict) -> dict:
    """Send an SMS code to the registrant's old mobile, once the claim would be allowed:
    ``{sent_to (masked), expires_at, resend_available_at}``."""
    claimant = natural_claimant(ports, actor_id)
    name, hashed = check_registrant(ports, request, values, claimant["institution_name"])
    # Its refusals (sms_code_too_soon, sms_unavailable) pass through unchanged.
    sent = ports.verification.send_sms_code({
        "purpose": SMS_PURPOSE, "subject": claim_subject(claimant["account_id"], name, hashed),
        "mobile": values["legacy_mobile"], "requester_name": claimant["name"]})
    request.log.info("legacy_claim_code_requested", claimant_id=claimant["account_id"])
    return {key: sent[key] for key in ("sent_to", "expires_at", "resend_available_at")}


def claim_legacy(ports: Ports, request: Request, actor_id: Any, values: dict) -> dict:
    """Claim every unclaimed legacy backup of the registrant with the SMS code:
    ``{claimed: [{id, backup_number, name}], count}``."""
    claimant = natural_claimant(ports, actor_id)
    name, hashed = check_registrant(ports, request, values, claimant["institution_name"])
    # sms_code_not_requested / _expired / _invalid / _locked pass through unchanged.
    ports.verification.verify_sms_code(
        SMS_PURPOSE, claim_subject(claimant["account_id"], name, hashed), values["sms_code"])
    claimed = claim_registrant(ports, request, name, hashed, new_owner(claimant),
                               claimant["institution_name"], SMS, claimant["account_id"])
    return {"claimed": claimed, "count": len(claimed)}


# --- claims by a legal person / unit administrator -------------------------------------------------
def institution_claim(ports: Ports, request: Request, actor_id: Any, values: dict) -> dict:
    """Claim every unclaimed legacy backup of the registrant for a delegate among the actor's
    members: ``{claimed: [{id, backup_number, name}], count, delegate: {id, username, name}}``."""
    username = values["delegate_account"]
    with ports.connect() as connection:
        admin = authority(ports, connection, actor_id).require_admin()
        found = ports.members.find_member(connection, username)
    delegate = member_in_scope(admin, found, "delegate_account", username)
    check_delegate(delegate, username)
    name, hashed = check_registrant(ports, request, values, delegate["institution_name"])
    claimed = claim_registrant(ports, request, name, hashed, new_owner(delegate),
                               delegate["institution_name"], INSTITUTION, admin.account_id)
    return {"claimed": claimed, "count": len(claimed),
            "delegate": {"id": delegate["account_id"], "username": delegate["username"],
                         "name": delegate["name"]}}


# --- the steps every claim takes ---------------------------------------------------------------------
def natural_claimant(ports: Ports, actor_id: Any) -> dict:
    """The actor as a claim needs it (name, role, placement, institution name): from the members
    read model, or from identity when its events have not arrived yet."""
    account_id = canonical_id(actor_id)
    row = None
    if account_id is not None:
        with ports.connect() as connection:
            row = ports.members.get_member(connection, account_id)
    if row is not None and (row["institution_code"] is None or row["institution_name"] is not None):
        claimant = dict(row)
    else:
        account = ports.identity.get_account(actor_id)   # account_not_found passes through
        institution, unit = account.get("institution") or {}, account.get("unit") or {}
        claimant = {"account_id": account["id"], "username": account["username"],
                    "name": account["name"], "role": account["role"],
                    "institution_code": institution.get("code"),
                    "institution_name": institution.get("name"), "unit_code": unit.get("code")}
    if claimant["role"] != NATURAL_PERSON:
        raise refusals.natural_persons_only()
    return claimant


def check_registrant(ports: Ports, request: Request, values: dict, institution_name: str | None) -> tuple[str, str]:
    """(name key, mobile hash) of a registrant with unclaimed legacy backups whose institution
    is ``institution_name``'s; else the refusal that says why not."""
    name = name_key(values["legacy_name"])
    hashed = mobile_hash(ports.secret, values["legacy_mobile"])
    with ports.connect() as connection:
        rows = ports.legacy.registrant_rows(connection, name, hashed)
    if not rows or hashed is None:
        raise refusals.legacy_registrant_not_found()
    unclaimed = [row for row in rows if row["claimed_at"] is None]
    if not unclaimed:
        raise refusals.legacy_already_claimed()
    for row in unclaimed:
        check_same_institution(row["institution_name"], institution_name)
    return name, hashed


def claim_registrant(ports: Ports, request: Request, name: str, hashed: str, owner: NewOwner,
                     institution_name: str | None, how: str, claimed_by: str) -> list[dict]:
    def work(uow: UnitOfWork) -> list[dict]:
        rows = ports.legacy.registrant_rows(uow.connection, name, hashed, unclaimed_only=True, lock=True)
        if not rows:
            raise refusals.legacy_already_claimed()   # another claim won the race
        for row in rows:   # imported since the check, perhaps
            check_same_institution(row["institution_name"], institution_name)
        return claim_rows(ports, uow, rows, owner, how, claimed_by)

    claimed = write(ports, request, claimed_by, work)
    request.log.info("legacy_backups_claimed", how=how, owner_id=owner.account_id,
                     claimed_by=claimed_by, backup_numbers=[c["backup_number"] for c in claimed])
    return claimed


def claim_rows(ports: Ports, uow: UnitOfWork, rows: list, owner: NewOwner, how: str,
               claimed_by: str) -> list[dict]:
    """Claim each legacy backup of ``rows`` (locked) for ``owner``: event, read model, mark."""
    now, claimed = utcnow(), []
    for row in rows:
        backup = uow.load(Backup, backup_stream_id(row["backup_id"]))
        assert backup is not None   # imported with its row, in one transaction
        backup.claim(owner, how, claimed_by, now)
        save_backup(ports, uow, backup)
        if not ports.legacy.mark_claimed(uow.connection, row["backup_id"], owner.account_id, how, now):
            raise refusals.legacy_already_claimed()   # never reached while rows are locked
        claimed.append({"id": backup.backup_id, "backup_number": backup.backup_number,
                        "name": backup.name})
    return claimed


def new_owner(member: Mapping[str, Any]) -> NewOwner:
    return NewOwner(account_id=member["account_id"], username=member["username"],
                    institution_code=member["institution_code"], unit_code=member["unit_code"])
