"""When to try HGRG again after a failed push: exponential, capped, jittered, and never giving up.

HGRG may be away for minutes or days; every backup number must still arrive. The delay doubles
from 0.5 s so a short blip costs well under a second, and stops growing at 60 s so that the first
attempt after a long outage comes at most a minute after HGRG is back.
"""
import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BackoffPolicy:
    first: float = 0.5     # seconds after the first failure
    factor: float = 2.0
    cap: float = 60.0
    # Up to this fraction is taken off at random: rows that failed together (HGRG went down)
    # spread out instead of hitting HGRG in lockstep when it returns. Only ever shortens, so the
    # cap holds.
    jitter: float = 0.1

    def nominal(self, failures: int) -> float:
        """The un-jittered delay after ``failures`` consecutive failed attempts (≥ 1)."""
        if failures < 1:
            raise ValueError("failures must be at least 1")
        exponent = min(failures - 1, 64)   # past the cap anyway; keeps huge counts finite
        return min(self.cap, self.first * self.factor ** exponent)

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        return self.nominal(failures) * (1.0 - self.jitter * rand())
