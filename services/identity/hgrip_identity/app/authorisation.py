"""Who a token belongs to, and reading an account."""
from datetime import datetime

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.ports import Request

from ..domain import is_locked, refusals
from .ports import AccountRecord, InvalidToken, Ports


def authenticate(ports: Ports, request: Request, token: str, now: datetime | None = None) -> AccountRecord:
    """The account a valid token was issued to; refusals: ``invalid_token``, ``account_locked``."""
    try:
        claims = ports.tokens.decode(token)
    except InvalidToken as exc:
        request.log.info("token_refused", reason=str(exc))
        raise refusals.invalid_token() from None
    with ports.db.reading() as records:
        row = records.find_account(account_id=str(claims["sub"]))
    if row is None:
        raise refusals.invalid_token()
    if row.locked_until is not None and is_locked(row.locked_until, now or utcnow()):
        raise refusals.account_locked(row.locked_until)
    return row


def get_account(ports: Ports, account_id: str) -> AccountRecord:
    """The account; refusal ``account_not_found``."""
    with ports.db.reading() as records:
        row = records.find_account(account_id=account_id)
    if row is None:
        raise refusals.account_not_found(account_id)
    return row
