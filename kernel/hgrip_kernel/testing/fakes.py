"""Fakes every service's unit tests share: the request a use case serves (``hgrip_kernel.ports.Request``)
and its log, which keeps what it was told instead of writing it out.

A service's ``tests/unit/conftest.py`` adds the fakes of its own ports.
"""
from dataclasses import dataclass, field
from typing import Any


class FakeLog:
    """``lines``: ``(level, event, fields)`` in the order logged."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict[str, Any]]] = []

    def info(self, event: str, **fields: Any) -> None:
        self.lines.append(("info", event, fields))

    def warning(self, event: str, **fields: Any) -> None:
        self.lines.append(("warning", event, fields))

    def error(self, event: str, **fields: Any) -> None:
        self.lines.append(("error", event, fields))

    def events(self, level: str | None = None) -> list[str]:
        """The events' names, in order; with ``level`` only those logged at that level."""
        return [event for logged, event, _ in self.lines if level is None or logged == level]


@dataclass
class FakeRequest:
    """The request being served: the ids its events carry, and its log."""
    correlation_id: str | None = "req-unit"
    causation_id: str | None = None
    log: FakeLog = field(default_factory=FakeLog)
