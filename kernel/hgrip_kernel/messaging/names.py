"""The broker's names and headers as plain strings, importable without kombu: the `hgrip` CLI needs
them before `hgrip serve` monkey-patches eventlet, and kombu imported before that keeps a blocking
sleep in its reconnection back-off (the whole process froze while the broker was away)."""

EVENTS_EXCHANGE = "hgrip.events"
UNROUTABLE_EXCHANGE = "hgrip.unroutable"
UNROUTABLE_QUEUE = "hgrip.unroutable"
DEAD_LETTER_QUEUE = "hgrip.dead-letters"

ATTEMPTS_HEADER = "x-hgrip-attempts"
ORIGIN_QUEUE_HEADER = "x-hgrip-queue"
ERROR_HEADER = "x-hgrip-error"
FAILED_AT_HEADER = "x-hgrip-failed-at"
CORRELATION_HEADER = "nameko.correlation_id"  # nameko turns nameko.* headers into context data
