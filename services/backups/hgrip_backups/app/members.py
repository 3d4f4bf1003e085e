"""Members and institutions from identity's events (the members read model), and the actor's
authority that every institution view, delegation and claim is decided by."""
from collections.abc import Callable
from typing import Any, TypeVar

from hgrip_kernel.envelope import Envelope
from hgrip_kernel.ports import Request

from ..domain import refusals
from ..domain.scope import Authority, authority_of
from .ports import Connection, Ports

CONSUMER_ACCOUNT_PROVISIONED = "backups.on_account_provisioned"
CONSUMER_ACCOUNT_UPDATED = "backups.on_account_updated"
CONSUMER_INSTITUTION_REGISTERED = "backups.on_institution_registered"
CONSUMER_INSTITUTION_UPDATED = "backups.on_institution_updated"

Apply = Callable[[Connection, Envelope], bool]
T = TypeVar("T")


def account_changed(ports: Ports, request: Request, consumer: str, envelope: Envelope) -> None:
    """identity.AccountProvisioned / AccountUpdated → the member row."""
    apply_identity_event(ports, request, consumer, envelope,
                         lambda connection, e: ports.members.apply_account(connection, e, ports.secret))


def institution_changed(ports: Ports, request: Request, consumer: str, envelope: Envelope) -> None:
    """identity.InstitutionRegistered / InstitutionUpdated → the institution and its units."""
    apply_identity_event(ports, request, consumer, envelope, ports.members.apply_institution)


def apply_identity_event(ports: Ports, request: Request, consumer: str, envelope: Envelope, apply: Apply) -> None:
    with ports.store.unit_of_work(actor=envelope.actor, correlation_id=request.correlation_id,
                                  causation_id=envelope.event_id) as uow:
        if not uow.first_time(consumer, envelope.event_id):
            request.log.info("duplicate_event_ignored", event_id=envelope.event_id)
            return
        applied = apply(uow.connection, envelope)
    request.log.info("member_projection_applied", event_type=envelope.event_type,
                     stream_id=envelope.stream_id, applied=applied)


def authority(ports: Ports, connection: Connection, actor_id: Any) -> Authority:
    """The actor's role and placement. From the members read model; an account identity has
    provisioned but whose event has not reached us yet is asked of identity directly."""
    row = ports.members.get_member(connection, actor_id) if actor_id else None
    if row is not None:
        return authority_of(row)
    if actor_id is None:
        raise refusals.institution_admins_only()
    account = ports.identity.get_account(actor_id)   # account_not_found passes through
    return Authority(account_id=account["id"], role=account["role"],
                     institution_code=(account.get("institution") or {}).get("code"),
                     unit_code=(account.get("unit") or {}).get("code"),
                     employed=bool(account.get("employed", True)))


def institution_admin(ports: Ports, actor_id: Any) -> Authority:
    """The actor as a legal person or unit administrator, else 403 institution_admins_only.
    (Its own connection: asking identity, when the member row is missing, happens with no
    query of ours still open.)"""
    with ports.connect() as connection:
        return authority(ports, connection, actor_id).require_admin()


def as_institution_admin(ports: Ports, actor_id: Any, read: Callable[[Connection, Authority], T]) -> T:
    """``read(connection, admin)`` for the actor as institution_admin decides it, on one connection
    when the member row is there (the common case: one checkout for the check and the read); a
    member identity must be asked about is asked with no connection of ours open, as above."""
    with ports.connect() as connection:
        row = ports.members.get_member(connection, actor_id) if actor_id else None
        if row is not None:
            return read(connection, authority_of(row).require_admin())
    admin = institution_admin(ports, actor_id)
    with ports.connect() as connection:
        return read(connection, admin)
