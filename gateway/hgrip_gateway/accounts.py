"""Who holds a token, without asking identity on every request.

The token's signature and expiry are checked here (tokens.py); the account behind it is identity's
answer to ``authenticate``, kept per account while the revocation feed is connected
(account_views.py, revocation_feed.py). A change of the account reaches every gateway within the
relay's and the broker's delay (milliseconds), and the next request asks identity again, which
refuses an account that has left (account_inactive) and answers the new roles and authorisation.
The gateway that carried the change (HGRG's call) forgets the account itself when identity has
committed it (``changed``), so there the very next request is answered anew.
"""
from nameko.extensions import DependencyProvider

from .account_views import DEFAULT_TTL_SECONDS, AccountViews
from .calls import call
from .revocation_feed import RevocationFeed
from .tokens import VerifiedTokens, invalid_token


class Accounts:
    def __init__(self, secret: str, views: AccountViews):
        self.tokens = VerifiedTokens(secret)
        self.views = views

    def account_for(self, identity, token: str, timeout: float) -> dict:
        """The account the token was issued to, as it is now; invalid_token, or identity's refusal."""
        account_id = str(self.tokens.claims(token)["sub"])
        account = self.views.get(account_id)
        if account is not None:
            return account
        epoch = self.views.epoch
        account = call(identity.authenticate, token, timeout=timeout)
        if not account:
            raise invalid_token()
        if account.get("id") == account_id:
            self.views.keep(account_id, account, epoch)
        return account

    def changed(self, account_id: str | None = None) -> None:
        """Identity has committed a change of this account (None: of an institution, every account's
        view): forget it here at once, without waiting for the event (the other gateways wait for it)."""
        if account_id is None:
            self.views.clear()
        else:
            self.views.drop(str(account_id))


class AccountCache(DependencyProvider):
    """One ``Accounts`` per gateway container, its feed consuming in a thread of the container.
    ``GATEWAY_ACCOUNT_TTL`` (seconds, default 60) bounds how long a view is kept even without events."""

    def __init__(self):
        self.accounts: Accounts | None = None
        self.feed: RevocationFeed | None = None

    def setup(self):
        config = self.container.config
        views = AccountViews(float(config.get("GATEWAY_ACCOUNT_TTL") or DEFAULT_TTL_SECONDS))
        self.accounts = Accounts(config.get("TOKEN_SECRET") or "", views)
        self.feed = RevocationFeed(config["AMQP_URI"], views)

    def start(self):
        self.container.spawn_managed_thread(self.feed.run, identifier="revocation_feed")

    def stop(self):
        self.feed.stop()

    def kill(self):
        self.feed.stop()

    def get_dependency(self, worker_ctx):
        return self.accounts
