"""``request_context``: a worker logs a line on behalf of another request, then its own context is back."""
from structlog.contextvars import get_contextvars

from hgrip_kernel.context import bind_request_context, clear_request_context, current_correlation_id, request_context


def test_a_line_for_another_request_leaves_the_workers_own_context_as_it_was():
    bind_request_context("req-worker", service="registry-sync")
    try:
        with request_context("req-other", backup_number="BF2026011500001"):
            assert current_correlation_id() == "req-other"
            assert get_contextvars() == {"correlation_id": "req-other", "service": "registry-sync",
                                         "backup_number": "BF2026011500001"}
        assert current_correlation_id() == "req-worker"
        assert get_contextvars() == {"correlation_id": "req-worker", "service": "registry-sync"}
    finally:
        clear_request_context()
