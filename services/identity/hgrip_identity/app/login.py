"""Login: a signed token for the right password.

Failed logins lock nothing: a lock would let any stranger who knows a username keep its owner out.
Guessing is slowed in front of identity by the gateway's rate limits (per account and address pair,
per address, per account; gateway ``throttle.py``), which the rightful owner elsewhere never meets.
"""
from dataclasses import dataclass
from datetime import datetime

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.ports import Request, UnitOfWork

from ..domain import Account, account_stream_id, refusals
from .authorisation import check_active
from .ports import AccountRecord, Ports
from .writing import save_account, write


@dataclass(frozen=True)
class LoggedIn:
    access_token: str
    expires_in: int
    account: AccountRecord


def login(ports: Ports, request: Request, username: str, password: str, now: datetime | None = None) -> LoggedIn:
    """A signed token for the right password; refusals: ``invalid_credentials`` (unknown user and
    wrong password alike), ``account_inactive`` (the right password of an account that left)."""
    now = now or utcnow()
    with ports.db.reading() as records:
        row = records.find_account(username=username)
        stored_hash = records.password_hash(row.id) if row is not None else None
    password_ok = ports.passwords.verify(stored_hash, password)  # dummy hash if no user
    if row is None or not password_ok:
        # A log line, no event: a stranger's guesses must not write to the owner's stream.
        request.log.info("login_failed", reason="unknown_user" if row is None else "wrong_password",
                         account_id=row.id if row is not None else None)
        raise refusals.invalid_credentials()
    check_active(request, row)
    account_id = row.id

    def work(uow: UnitOfWork) -> None:
        record_login(ports, uow, account_id, now)

    write(ports, request, account_id, work)
    token = ports.tokens.issue({"id": row.id, "username": row.username, "role": row.role}, now)
    request.log.info("login_succeeded", account_id=account_id)
    return LoggedIn(token, ports.tokens.ttl_seconds, row)


def record_login(ports: Ports, uow: UnitOfWork, account_id: str, now: datetime) -> None:
    """Record the successful login on the account (its first one is what notices ask about)."""
    account = uow.load(Account, account_stream_id(account_id))
    if account is None:
        raise LookupError(f"no account stream for {account_id}")  # the read model came from this stream
    account.login_succeeded(now)
    save_account(ports, uow, account)
