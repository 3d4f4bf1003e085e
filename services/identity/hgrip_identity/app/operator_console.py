"""The operator's console (role ``operator``): dead letters of every service — list, read one
(personal data masked), replay one or all — and the operators' audit trail. Each replay is recorded
as an ``OperatorActionRecorded`` event on the stream ``operator-audit`` naming the operator, after
the broker confirmed the replay (so the trail says what really happened)."""
from typing import Any

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.ports import Request

from ..domain import refusals
from ..domain.operator_audit import OPERATOR_AUDIT_STREAM, OperatorAudit, require_operator
from .authorisation import get_account
from .ports import AccountRecord, DeadLetters, Ports
from .writing import write

ACTIONS_LIMIT = 200


def operator(ports: Ports, actor_id: Any) -> AccountRecord:
    """The actor, who must be an operator (403 operators_only; 404 account_not_found)."""
    row = get_account(ports, str(actor_id))
    require_operator(row.role)
    return row


def _letters(ports: Ports) -> DeadLetters:
    if ports.dead_letters is None:      # wiring mistake, not a user's
        raise RuntimeError("identity's Ports has no dead-letter adapter")
    return ports.dead_letters


def dead_letters(ports: Ports, actor_id: Any) -> dict:
    """``{items, total}``: every dead letter, oldest first."""
    operator(ports, actor_id)
    items = _letters(ports).letters()
    return {"items": items, "total": len(items)}


def dead_letter(ports: Ports, actor_id: Any, message_id: str) -> dict:
    """One dead letter with its message (masked); 404 dead_letter_not_found."""
    operator(ports, actor_id)
    found = _letters(ports).letter(message_id)
    if found is None:
        raise refusals.dead_letter_not_found(message_id)
    return found


def replay(ports: Ports, request: Request, actor_id: Any, message_id: str | None) -> dict:
    """Replay one dead letter (404 if it is not there) or, with None, all of them (none is fine):
    ``{replayed: [letters], count, action: the audit entry}``."""
    row = operator(ports, actor_id)
    replayed = _letters(ports).replay(message_id)
    if message_id is not None and not replayed:
        raise refusals.dead_letter_not_found(message_id)
    account = {"id": row.id, "username": row.username, "name": getattr(row, "name", row.username),
               "role": row.role}

    def work(uow):
        audit = uow.load(OperatorAudit, OPERATOR_AUDIT_STREAM) or OperatorAudit()
        audit.record_replay(account, message_id, replayed, utcnow())
        [envelope] = uow.save(audit)
        return envelope

    envelope = write(ports, request, row.id, work)
    request.log.info("dead_letters_replayed", operator=row.username, target=message_id, count=len(replayed))
    return {"replayed": replayed, "count": len(replayed), "action": action_view(envelope)}


def actions(ports: Ports, actor_id: Any, limit: int = ACTIONS_LIMIT) -> dict:
    """``{items, total}``: the operators' actions, newest first (at most ``limit``)."""
    operator(ports, actor_id)
    envelopes = ports.store.read_stream(OPERATOR_AUDIT_STREAM)
    items = [action_view(envelope) for envelope in reversed(envelopes[-limit:])]
    return {"items": items, "total": len(envelopes)}


def action_view(envelope: Any) -> dict:
    data = envelope.data
    return {"id": envelope.event_id, "at": data["at"], "action": data["action"],
            "operator": {"id": data["operator_id"], "username": data["operator_username"],
                         "name": data["operator_name"]},
            "target": data["target"], "replayed": data["replayed"], "count": len(data["replayed"]),
            "correlation_id": envelope.correlation_id}
