"""Login lockout rule: N consecutive failures lock the account for a while.

Kept apart from the aggregate so that the numbers come from configuration
(`LOGIN_MAX_FAILURES`, `LOGIN_LOCK_MINUTES`) and the rule can be tested with a fake clock.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    lock_minutes: float = 15

    def __post_init__(self):
        if self.max_failures < 1 or self.lock_minutes <= 0:
            raise ValueError("max_failures must be >= 1 and lock_minutes > 0")

    @classmethod
    def from_config(cls, config: dict) -> "LockoutPolicy":
        return cls(max_failures=int(config.get("LOGIN_MAX_FAILURES", 5)),
                   lock_minutes=float(config.get("LOGIN_LOCK_MINUTES", 15)))

    def locks_after(self, consecutive_failures: int) -> bool:
        return consecutive_failures >= self.max_failures

    def lock_until(self, now: datetime) -> datetime:
        return now + timedelta(minutes=self.lock_minutes)


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until
