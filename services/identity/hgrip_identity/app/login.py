"""Login with lockout: N consecutive failures lock the account for a while (``LockoutPolicy``)."""
from dataclasses import dataclass
from datetime import datetime

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.ports import Request, UnitOfWork

from ..domain import Account, LockoutPolicy, account_stream_id, is_locked, refusals
from .ports import AccountRecord, Ports
from .writing import save_account, write


@dataclass(frozen=True)
class LoggedIn:
    access_token: str
    expires_in: int
    account: AccountRecord


def login(ports: Ports, request: Request, policy: LockoutPolicy, username: str, password: str,
          now: datetime | None = None) -> LoggedIn:
    """A signed token for the right password; refusals: ``invalid_credentials`` (unknown user and
    wrong password alike), ``account_locked``."""
    now = now or utcnow()
    with ports.db.reading() as records:
        row = records.find_account(username=username)
        stored_hash = records.password_hash(row.id) if row is not None else None
    if row is not None and row.locked_until is not None and is_locked(row.locked_until, now):
        # Refused before checking the password: a locked account cannot be probed.
        request.log.info("login_refused_locked", account_id=row.id)
        raise refusals.account_locked(row.locked_until)
    password_ok = ports.passwords.verify(stored_hash, password)  # dummy hash if no user
    if row is None:
        request.log.info("login_failed", reason="unknown_user")
        raise refusals.invalid_credentials()
    account_id = row.id

    def work(uow: UnitOfWork) -> tuple[str, datetime | None]:
        return record_login(ports, uow, policy, account_id, password_ok, now)

    outcome, locked_until = write(ports, request, account_id, work)
    if outcome == "locked":  # locked by a concurrent attempt since we looked
        assert locked_until is not None  # record_login answers "locked" with the lock's end
        raise refusals.account_locked(locked_until)
    if outcome == "failed":
        request.log.info("login_failed", reason="wrong_password", account_id=account_id)
        if locked_until is not None:
            request.log.warning("account_locked", account_id=account_id, locked_until=locked_until.isoformat())
        # The failure that locks answers like any other: only the next attempt learns of the lock.
        raise refusals.invalid_credentials()
    token = ports.tokens.issue({"id": row.id, "username": row.username, "role": row.role}, now)
    request.log.info("login_succeeded", account_id=account_id)
    return LoggedIn(token, ports.tokens.ttl_seconds, row)


def record_login(ports: Ports, uow: UnitOfWork, policy: LockoutPolicy, account_id: str, password_ok: bool,
                 now: datetime) -> tuple[str, datetime | None]:
    """Count the attempt on the account: ("ok", None), ("failed", lock end or None) or ("locked", lock end)."""
    account = uow.load(Account, account_stream_id(account_id))
    if account is None:
        raise LookupError(f"no account stream for {account_id}")  # the read model came from this stream
    if account.is_locked(now):  # another attempt locked it since we looked
        return "locked", account.locked_until
    outcome: tuple[str, datetime | None]
    if password_ok:
        account.login_succeeded(now)
        outcome = ("ok", None)
    else:
        outcome = ("failed", account.login_failed(now, policy))
    save_account(ports, uow, account)
    return outcome
