"""What sending and checking a code share, e-mail or SMS: check → send → record, and check → record.

A code exists only in memory and in the mail or text message: the read model keeps an HMAC (keyed by
TOKEN_SECRET and the code's scope), events keep the expiry, logs keep neither.
"""
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from hgrip_kernel.errors import DomainError
from hgrip_kernel.ports import UnitOfWork

from ..domain import code_matches, hash_code, new_code
from ..domain.issued_code import IssuedCode
from .ports import Call, CodeRecords, Ports

C = TypeVar("C", bound=IssuedCode)

WRITE_ATTEMPTS = 3   # verifying reloads and retries on a lost optimistic-concurrency race


def send_new_code(ports: Ports, call: Call, records: CodeRecords, aggregate_cls: type[C], stream_id: str,
                  scope: str, deliver: Callable[[str, datetime], None], issue: Callable[[C, datetime], None]) -> C:
    """Check → send → record, in one transaction: if the sending fails (``deliver`` raises), the
    rollback leaves no trace, so the user may retry at once; if it succeeds, the code is recorded
    with it. ``scope`` keys the send lock and the code's HMAC."""
    now = call.now
    with ports.store.unit_of_work(correlation_id=call.correlation_id, causation_id=call.causation_id) as uow:
        # Claimed before loading: once we hold it, no other send for this scope is in flight.
        if not ports.send_guard.try_claim(uow, scope):
            raise aggregate_cls.refuse_concurrent_send(now)
        request = uow.load(aggregate_cls, stream_id) or aggregate_cls(stream_id)
        request.check_may_send(now)
        code = new_code()
        deliver(code, now)
        issue(request, now)
        uow.save(request)
        records.record_issued(uow, request, hash_code(call.secret, scope, code))
    return request


def check_code(ports: Ports, call: Call, records: CodeRecords, aggregate_cls: type[C], stream_id: str,
               scope: str, code: str) -> tuple[C, DomainError | None]:
    """``(request, refusal)``: the code checked against the stored HMAC and the outcome recorded;
    a refusal that changed something is returned (raise it), one that changed nothing is raised."""
    def work(uow: UnitOfWork) -> tuple[C, DomainError | None]:
        request = uow.load(aggregate_cls, stream_id)
        if request is None:
            raise aggregate_cls.refusals.not_requested()
        matches = code_matches(call.secret, scope, code, records.stored_hash(uow, request))
        refusal = request.verify(matches, call.now)
        if request.pending:
            uow.save(request)
            records.record_state(uow, request)
        return request, refusal

    return ports.store.write(work, attempts=WRITE_ATTEMPTS, correlation_id=call.correlation_id,
                             causation_id=call.causation_id)
