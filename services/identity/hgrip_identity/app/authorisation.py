"""Who a token belongs to, and reading an account."""
from hgrip_kernel.ports import Request

from ..domain import refusals
from .ports import AccountRecord, InvalidToken, Ports


def authenticate(ports: Ports, request: Request, token: str) -> AccountRecord:
    """The account a valid token was issued to, as it is now; refusals: ``invalid_token``,
    ``account_inactive``.

    Asked on every request (token or session cookie alike), so an account HGRG marks as having left
    stops working at once, whatever it was issued before. Failed logins never refuse a token.
    """
    try:
        claims = ports.tokens.decode(token)
    except InvalidToken as exc:
        request.log.info("token_refused", reason=str(exc))
        raise refusals.invalid_token() from None
    with ports.db.reading() as records:
        row = records.find_account(account_id=str(claims["sub"]))
    if row is None:
        raise refusals.invalid_token()
    check_active(request, row)
    return row


def check_active(request: Request, row: AccountRecord) -> None:
    """Refuse (``account_inactive``) an account whose person has left the institution (HGRG's
    ``employed: false``). Withdrawing an authorisation is not this: such an account still signs in,
    to be told what it may no longer do, and each service refuses those acts (projects'
    ``authorisation_required``, backups' scope), asking identity for the account as it is now."""
    if not row.employed:
        request.log.info("account_inactive_refused", account_id=row.id)
        raise refusals.account_inactive()


def get_account(ports: Ports, account_id: str) -> AccountRecord:
    """The account; refusal ``account_not_found``."""
    with ports.db.reading() as records:
        row = records.find_account(account_id=account_id)
    if row is None:
        raise refusals.account_not_found(account_id)
    return row
