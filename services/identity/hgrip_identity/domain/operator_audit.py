"""The operators' audit trail (stream ``operator-audit``): every action an operator takes on the
console is an event naming them. Operators never edit a backup; the one thing they do is replay
dead letters, one or all."""
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from hgrip_kernel.aggregate import Aggregate

from . import refusals
from .roles import OPERATOR

OPERATOR_AUDIT_STREAM = "operator-audit"
REPLAYED_ONE = "dead_letter_replayed"
REPLAYED_ALL = "dead_letters_replayed"


def require_operator(role: str | None) -> None:
    """Only an operator uses the console; anyone else: 403 operators_only."""
    if role != OPERATOR:
        raise refusals.operators_only()


class OperatorAudit(Aggregate):
    stream_type = "operator_audit"

    def __init__(self, stream_id: str = OPERATOR_AUDIT_STREAM):
        super().__init__(stream_id)
        self.actions = 0

    def record_replay(self, operator: Mapping[str, Any], target: str | None,
                      replayed: Sequence[Mapping[str, Any]], at: datetime) -> None:
        """An operator replayed the dead letter ``target`` (or, with None, every dead letter)."""
        require_operator(operator.get("role"))
        self.record("OperatorActionRecorded", {
            "operator_id": operator["id"], "operator_username": operator["username"],
            "operator_name": operator["name"], "action": REPLAYED_ONE if target else REPLAYED_ALL,
            "target": target,
            "replayed": [{key: message.get(key) for key in ("message_id", "service", "queue", "event_type")}
                         for message in replayed],
            "at": at.isoformat()})

    def apply_OperatorActionRecorded(self, data: dict) -> None:
        self.actions += 1
