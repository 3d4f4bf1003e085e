"""Account: one HGRG/HGRIP user (the two systems share accounts). Stream ``account-<uuid>``.

The password hash is not part of this aggregate: events are the audit trail and are published,
so they only say *that* a password was set, never what it is.
"""
import uuid
from datetime import datetime
from typing import Any

from hgrip_kernel.aggregate import Aggregate

from .lockout import LockoutPolicy, is_locked
from .roles import check_placement

# A fixed namespace makes the account id a function of the HGRG username: two concurrent first
# provisionings of one user then race on the same stream and optimistic concurrency settles it.
ACCOUNT_NAMESPACE = uuid.UUID("6f1c2d0e-8a4b-5c3e-9f70-1b2a3c4d5e6f")

PROFILE_FIELDS = ("username", "name", "mobile", "role", "institution", "unit",
                  "real_name_verified", "authorised", "authorised_at", "employed", "email")
# AccountProvisioned / AccountUpdated: v2 (with ``email``) is what we write; v1 (without) is still
# read, a v1 event meaning no e-mail.
ACCOUNT_EVENT_VERSION = 2


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
        self.failures = 0                       # consecutive failed logins since the last success/lock
        self.locked_until: datetime | None = None
        self.last_login_at: datetime | None = None

    @property
    def exists(self) -> bool:
        return self.profile is not None

    def is_locked(self, now: datetime) -> bool:
        return is_locked(self.locked_until, now)

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

    def login_failed(self, now: datetime, policy: LockoutPolicy) -> datetime | None:
        """Count one failure; at the limit lock the account. Returns the lock end, if locked."""
        failures = self.failures + 1
        self.record("LoginFailed", {"account_id": self.account_id, "at": now.isoformat(),
                                    "failures": failures})
        if not policy.locks_after(failures):
            return None
        until = policy.lock_until(now)
        self.record("AccountLocked", {"account_id": self.account_id, "locked_until": until.isoformat(),
                                      "failures": failures})
        return until

    # --- state ---------------------------------------------------------------------------------
    def apply_AccountProvisioned(self, data: dict) -> None:
        # v1 events carry no ``email``: None, so a later v2 event with one is a change.
        self.profile = {key: data.get(key) for key in PROFILE_FIELDS}

    def apply_AccountUpdated(self, data: dict) -> None:
        self.apply_AccountProvisioned(data)

    def apply_PasswordSet(self, data: dict) -> None:
        self.has_password = True

    def apply_LoginSucceeded(self, data: dict) -> None:
        self.failures = 0
        self.locked_until = None
        self.last_login_at = datetime.fromisoformat(data["at"])

    def apply_LoginFailed(self, data: dict) -> None:
        self.failures = data["failures"]

    def apply_AccountLocked(self, data: dict) -> None:
        # The count restarts: after the lock expires the user gets a full set of attempts again.
        self.failures = 0
        self.locked_until = datetime.fromisoformat(data["locked_until"])
