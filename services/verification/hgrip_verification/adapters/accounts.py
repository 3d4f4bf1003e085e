"""The ``Accounts`` port over identity's RPC ``get_account``."""
from collections.abc import Mapping
from typing import Any

from hgrip_kernel.errors import DomainError


class IdentityAccounts:
    def __init__(self, proxy: Any):
        self.proxy = proxy

    def account(self, account_id: str) -> Mapping[str, Any] | None:
        try:
            return self.proxy.get_account(account_id)
        except DomainError as exc:
            if exc.code != "account_not_found":
                raise
            return None   # identity has no such account; anything else (identity away) is raised
