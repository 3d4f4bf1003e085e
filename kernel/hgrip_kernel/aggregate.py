"""Aggregate base: state is folded from events; commands check rules, then record events."""
from collections.abc import Iterable
from typing import ClassVar

from .events import DomainEvent


class Aggregate:
    stream_type: ClassVar[str] = "aggregate"

    def __init__(self, stream_id: str):
        self.id = stream_id
        self.version = 0          # version of the last stored event folded in
        self.pending: list[DomainEvent] = []

    @classmethod
    def rehydrate(cls, stream_id: str, events: Iterable) -> "Aggregate":
        """Fold stored envelopes (anything with event_type, data, stream_version)."""
        aggregate = cls(stream_id)
        for event in events:
            aggregate.fold(event)
        return aggregate

    def fold(self, event) -> None:
        """Fold one stored event in (a rebuild steps through a stream with it)."""
        self._apply(event.event_type, event.data)
        self.version = event.stream_version

    def record(self, event_type: str, data: dict, schema_version: int = 1) -> DomainEvent:
        event = DomainEvent(event_type, data, schema_version)
        self._apply(event_type, data)
        self.pending.append(event)
        return event

    def _apply(self, event_type: str, data: dict) -> None:
        handler = getattr(self, f"apply_{event_type}", None)
        if handler is None:
            raise TypeError(f"{type(self).__name__} cannot apply {event_type}")
        handler(data)

    def mark_saved(self) -> None:
        self.version += len(self.pending)
        self.pending = []
