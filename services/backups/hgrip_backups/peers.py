"""Calls to peer services: their refusals pass through; their absence becomes a refusal too.

nameko raises ``UnknownService`` when no instance of a peer has ever declared its queue; the
caller should get a 503 with a reason, not an internal error.
"""
from contextlib import contextmanager

from nameko.exceptions import UnknownService

from .domain import refusals


@contextmanager
def reaching(service: str):
    try:
        yield
    except UnknownService as exc:
        raise refusals.service_unavailable(service) from exc
