"""Account: one HGRG/HGRIP user (the two systems share accounts). Stream ``account-<uuid>``.

The password hash is not part of this aggregate: events are the audit trail and are published,
so they only say *that* a password was set, never what it is.
"""
import uuid
from datetime import datetime
from typing import Any

from hgrip_kernel.aggregate import Aggregate

from .roles import check_placement

# A fixed namespace makes the account id a function of the HGRG username: two concurrent first
# provisionings of one user then race on the same stream and optimistic concurrency settles it.
ACCOUNT_NAMESPACE = uuid.UUID("6f1c2d0e-8a4b-5c3e-9f70-1b2a3c4d5e6f")

# ``mobile_hash``: the keyed hash of the mobile (hgrip_kernel.personal_data), never the number, which
# identity keeps sealed outside the stream (adapters: account_mobiles) because events are published.
PROFILE_FIELDS = ("username", "name", "mobile_hash", "role", "institution", "unit",
                  "real_name_verified", "authorised", "authorised_at", "employed", "email")
# AccountProvisioned / AccountUpdated: v3 (``mobile_hash``, no clear ``mobile``) is what we write;
# identity's migration 0003 rewrote the v1/v2 events it had stored as v3.
ACCOUNT_EVENT_VERSION = 3


def account_id_for(username: str) -> str:
    return str(uuid.uuid5(ACCOUNT_NAMESPACE, username))


def account_stream_id(account_id: str) -> str:
    return f"account-{account_id}"


class Account(Aggregate):
    stream_type = "account"

    def __init__(self, stream_id: str):
        super().__init__(stream_id)
        self.account_id = stream_id.removeprefix("account-")
        self.profile: dict | None = None
        self.has_password = False
        self.last_login_at: datetime | None = None

    @property
    def exists(self) -> bool:
        return self.profile is not None

    # --- commands ------------------------------------------------------------------------------
    def provision(self, profile: dict, now: datetime) -> bool:
        """Record what HGRG says about this account; return False when nothing differs.

        ``profile`` holds PROFILE_FIELDS, already validated for shape; ``authorised_at`` is an ISO
        string or None. An authorisation without a time keeps the time we already know (so a
        repeated delivery is not a change) or takes ``now`` the first time.
        """
        wanted: dict[str, Any] = {key: profile.get(key) for key in PROFILE_FIELDS}
        wanted["employed"] = True if wanted["employed"] is None else bool(wanted["employed"])
        check_placement(wanted["role"], wanted["institution"], wanted["unit"])
        if not wanted["authorised"]:
            wanted["authorised_at"] = None
        elif wanted["authorised_at"] is None:
            known = self.profile if self.profile is not None and self.profile["authorised"] else None
            wanted["authorised_at"] = known["authorised_at"] if known else now.isoformat()
        current = self.profile
        if current is None:
            self.record("AccountProvisioned", {"account_id": self.account_id, **wanted},
                        schema_version=ACCOUNT_EVENT_VERSION)
            return True
        changed = sorted(key for key in PROFILE_FIELDS if wanted[key] != current[key])
        if not changed:
            return False
        self.record("AccountUpdated", {"account_id": self.account_id, **wanted, "changed": changed},
                    schema_version=ACCOUNT_EVENT_VERSION)
        return True

    def password_set(self) -> None:
        self.record("PasswordSet", {"account_id": self.account_id})

    def login_succeeded(self, now: datetime) -> None:
        self.record("LoginSucceeded", {"account_id": self.account_id, "at": now.isoformat(),
                                       "first_login": self.last_login_at is None})

    # --- state ---------------------------------------------------------------------------------
    def apply_AccountProvisioned(self, data: dict) -> None:
        # A missing field (``email`` of a v1 payload) reads as None, so a later event with one is a change.
        self.profile = {key: data.get(key) for key in PROFILE_FIELDS}

    def apply_AccountUpdated(self, data: dict) -> None:
        self.apply_AccountProvisioned(data)

    def apply_PasswordSet(self, data: dict) -> None:
        self.has_password = True

    def apply_LoginSucceeded(self, data: dict) -> None:
        self.last_login_at = datetime.fromisoformat(data["at"])

    # Written until failed logins stopped locking accounts (a stranger could lock the owner out;
    # guessing is now slowed by the gateway's rate limits): old streams still hold them, read as nothing.
    def apply_LoginFailed(self, data: dict) -> None:
        pass

    def apply_AccountLocked(self, data: dict) -> None:
        pass
