"""Provisioning from HGRG: institutions and accounts, each upsert idempotent.

argon2 work happens outside units of work: it is slow by design, and a transaction (on SQLite the
process-wide writer lock) should not be held while it runs.
"""
from datetime import UTC, datetime

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.masking import mask_mobile
from hgrip_kernel.ports import Request, UnitOfWork

from ..domain import Account, Institution, account_id_for, account_stream_id, institution_stream_id
from ..domain.roles import check_membership, check_placement
from .ports import AccountRecord, Ports
from .writing import save_account, save_institution, write

HGRG_ACTOR = "hgrg"            # provisioning calls come from HGRG through the gateway


def upsert_institution(ports: Ports, request: Request, data: dict) -> tuple[Institution, bool]:
    """Record what HGRG says the institution is; returns it and whether anything changed."""

    def work(uow: UnitOfWork) -> tuple[Institution, bool]:
        stream_id = institution_stream_id(data["code"])
        institution = uow.load(Institution, stream_id) or Institution(stream_id)
        changed = institution.upsert(data["code"], data["name"], data["foreign"], data["units"])
        if changed:
            save_institution(ports, uow, institution)
        return institution, changed

    institution, changed = write(ports, request, HGRG_ACTOR, work)
    request.log.info("institution_upserted", institution=institution.code, changed=changed,
                     version=institution.version)
    return institution, changed


def upsert_account(ports: Ports, request: Request, data: dict,
                   now: datetime | None = None) -> tuple[AccountRecord | None, bool]:
    """Record what HGRG says about an account (and its password, if given); returns the account's
    record and whether anything changed. ``data`` is the loaded payload (``authorised_at`` a datetime)."""
    data = dict(data)
    password = data.pop("password")
    # The number goes no further than this: the event gets its keyed hash, the store its sealed form.
    mobile = data.pop("mobile")
    data["mobile_hash"] = ports.personal_data.mobile_hash(mobile)
    sealed = ports.personal_data.seal(mobile) if data["mobile_hash"] else None
    masked = mask_mobile(mobile) if sealed else None
    if data["authorised_at"] is not None:
        data["authorised_at"] = data["authorised_at"].astimezone(UTC).isoformat()
    check_placement(data["role"], data["institution"], data["unit"])
    account_id = account_id_for(data["username"])
    new_hash = new_password_hash(ports, account_id, password) if password is not None else None
    now = now or utcnow()

    def work(uow: UnitOfWork) -> bool:
        records = ports.db.within(uow)
        units = records.institution_units(data["institution"]) if data["institution"] else None
        check_membership(data["institution"], data["unit"], units)
        stream_id = account_stream_id(account_id)
        account = uow.load(Account, stream_id) or Account(stream_id)
        known_hash = account.profile["mobile_hash"] if account.profile else None
        changed = account.provision(data, now)
        if new_hash is not None:
            account.password_set()  # the event says that it changed, never what it is
        if account.pending:
            save_account(ports, uow, account)
            if not known_hash or known_hash != data["mobile_hash"]:
                records.set_mobile(account_id, sealed, masked)
        if new_hash is not None:
            records.set_password_hash(account_id, new_hash)
        return changed or new_hash is not None

    changed = write(ports, request, HGRG_ACTOR, work)
    request.log.info("account_upserted", account_id=account_id, changed=changed,
                     password_changed=new_hash is not None)
    with ports.db.reading() as records:
        return records.find_account(account_id=account_id), changed


def new_password_hash(ports: Ports, account_id: str, password: str) -> str | None:
    """A fresh argon2id hash, or None when the stored one already matches (a repeat delivery)."""
    passwords = ports.passwords
    with ports.db.reading() as records:
        current = records.password_hash(account_id)
    if current is not None and passwords.verify(current, password) and not passwords.needs_rehash(current):
        return None
    return passwords.hash(password)
