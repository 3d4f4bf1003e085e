"""structlog JSON logs for every process; stdlib logging (nameko, kombu) goes the same way."""
import logging
import logging.config
import sys

import structlog
from structlog.typing import Processor

from .masking import mask_value

_configured = False


def _mask(_, __, event_dict):
    return {key: (value if key in ("timestamp", "level", "logger") else mask_value(key, value))
            for key, value in event_dict.items()}


def configure_logging(service: str | None = None, level: str = "INFO", stream=None) -> None:
    global _configured
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _mask,
    ]
    if service:
        shared.insert(0, lambda _, __, d: {"service": service, **d})
    structlog.configure(
        processors=shared + [structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        processor=structlog.processors.JSONRenderer(ensure_ascii=False),
        foreign_pre_chain=shared,
    )
    # Our lines carry no pid or thread name: spare each record the lookups (a system call for the pid).
    logging.logProcesses = logging.logMultiprocessing = logging.logThreads = False
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("amqp", "kombu", "urllib3", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel("WARNING")
    _configured = True


def get_logger(name: str | None = None):
    return structlog.get_logger(name)
