"""A stand-in's fault switch (`POST …/control`): which mode it is in next, e.g. `ok`, `down`, `slow`
with `delay_ms`. Tests flip it to see the platform cope with a peer that refuses or answers late."""
import threading

from hgrip_standins.common import BadRequest

MAX_DELAY_MS = 120_000


class Availability:
    def __init__(self, modes: tuple[str, ...]):
        self.modes = modes
        self._lock = threading.Lock()
        self._state = {"mode": "ok", "delay_ms": 0}

    def set(self, spec: dict) -> dict:
        mode, delay_ms = spec.get("mode"), spec.get("delay_ms", 0)
        if mode not in self.modes:
            raise BadRequest("invalid_mode", f"mode must be one of {', '.join(self.modes)}")
        if not isinstance(delay_ms, int) or isinstance(delay_ms, bool) or not 0 <= delay_ms <= MAX_DELAY_MS:
            raise BadRequest("invalid_delay", f"delay_ms must be an integer from 0 to {MAX_DELAY_MS}")
        with self._lock:
            self._state = {"mode": mode, "delay_ms": delay_ms}
            return dict(self._state)

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self._state)
