"""The peers of projects over nameko RPC, implementing the ports."""


class IdentityOverRpc:
    """The ``Identity`` port on the service's ``PeerProxy("identity")`` (a deadline); refusals pass through."""

    def __init__(self, proxy):
        self.proxy = proxy

    def get_account(self, account_id: str) -> dict:
        return self.proxy.get_account(account_id)
