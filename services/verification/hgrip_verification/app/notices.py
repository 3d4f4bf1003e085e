"""Notices: mail that tells people what happened to their backups (``domain/notices.py`` has the
kinds, keys and texts). Each consumer of a backups or registry-sync event calls one function here.

Once per fact. A redelivered event is a no-op (the consumer's inbox, ``uow.first_time``). Beyond
that, ``notices_sent`` has one row per (kind, fact id, recipient), unique: a fact told by two events,
or an event replayed from the dead letters after its inbox row was written, is still mailed once.

The order is *send, then record*, in one transaction (as the code mail does):
1. before the transaction: the backup as it is now (owner, number, name), asked of backups, and the
   recipient (the event's new delegate, or the backup's owner) with their account and its e-mail,
   asked of identity (no transaction waits on a peer); an account without an e-mail gets no mail
   (``notice_skipped``, ``no_address``);
2. in one unit of work: the inbox; a try-lock on the notice's key (another worker sending the same
   notice right now → ``NoticeBusy``, retried); already in ``notices_sent`` → done; else compose,
   **send** (SMTP), insert the ``notices_sent`` row; commit.
A mail SMTP does not take (``MailNotSent``) raises inside the transaction: nothing is recorded, the
consumer retries (``MAX_DELIVERY_ATTEMPTS``, then a dead letter an operator can replay). Recording
first would lose the mail whenever the send then failed. The price of sending first: should the
process die after SMTP accepted the mail and before the commit, the redelivered event sends it
again — delivery to SMTP is at-least-once. Such a second copy carries the same ``Message-ID`` and
``X-HGRIP-Notice-Key`` header (both made from the key), so a mail system or reader can drop it.

The backup is asked of backups when a notice is due, not kept here: notices are rare, and a copy of
every backup (folded from each BackupSubmitted) cost every submission a message, a transaction and a
row in this service — a third of the platform's work after a submit's reply (docs/performance.md).
"""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hgrip_kernel.envelope import Envelope
from hgrip_kernel.masking import mask_email
from hgrip_kernel.ports import Request

from ..domain.notices import (
    BACKUP_CLAIMED,
    BACKUP_DELEGATED,
    FILING_LINKED,
    SYNC_OVERDUE,
    BackupRef,
    Notice,
    NoticeKey,
    backup_moved_notice,
    filing_linked_notice,
    mail_address,
    sync_overdue_notice,
)
from .ports import Ports

CONSUMER_BACKUP_DELEGATED = "verification.on_backup_delegated"
CONSUMER_BACKUP_CLAIMED = "verification.on_backup_claimed"
CONSUMER_FILING_LINKED = "verification.on_filing_linked"
CONSUMER_SYNC_OVERDUE = "verification.on_backup_sync_overdue"

# Outcomes (logged, returned for tests)
SENT, ALREADY_SENT, DUPLICATE_EVENT = "sent", "already_sent", "duplicate_event"
NO_NOTICE, OWNER_UNKNOWN, NO_ACCOUNT, NO_ADDRESS = "no_notice", "owner_unknown", "no_account", "no_address"


class NoticeBusy(Exception):
    """Another worker is sending this very notice now: the event is retried (and then finds it sent)."""


@dataclass(frozen=True)
class Plan:
    """A notice to send, once its recipient is known: the kind and fact, and how to word it."""
    kind: str
    fact_id: str
    backup_id: str
    number: str | None
    recipient_id: str | None = None   # None: the backup's owner (as backups has it now)


# --- the events ---------------------------------------------------------------------------------------
def backup_delegated(ports: Ports, request: Request, envelope: Envelope) -> str:
    """The new delegate learns a backup was moved to them (委托调整)."""
    data = envelope.data
    plan = Plan(BACKUP_DELEGATED, f"{data['backup_id']}#{data['sequence']}", data["backup_id"],
                data.get("backup_number"), recipient_id=data["to_owner_id"])
    return _consume(ports, request, CONSUMER_BACKUP_DELEGATED, envelope, plan)


def backup_claimed(ports: Ports, request: Request, envelope: Envelope) -> str:
    """The new delegate learns their institution claimed a legacy backup for them (``how =
    institution``; who claimed by SMS or was attached at login did it themselves: no mail)."""
    data = envelope.data
    plan = None
    if data["how"] == "institution":
        plan = Plan(BACKUP_CLAIMED, data["backup_id"], data["backup_id"], data["backup_number"],
                    recipient_id=data["owner_id"])
    return _consume(ports, request, CONSUMER_BACKUP_CLAIMED, envelope, plan)


def filing_linked(ports: Ports, request: Request, envelope: Envelope) -> str:
    """The owner learns HGRG linked a filing number (备案号) to their backup."""
    data = envelope.data
    plan = Plan(FILING_LINKED, f"{data['backup_id']}#{data['filing_number']}", data["backup_id"], None)
    return _consume(ports, request, CONSUMER_FILING_LINKED, envelope, plan)


def sync_overdue(ports: Ports, request: Request, envelope: Envelope) -> str:
    """The owner learns their backup's number has not reached HGRG for longer than the threshold."""
    data = envelope.data
    plan = Plan(SYNC_OVERDUE, data["backup_number"], data["backup_id"], data["backup_number"])
    return _consume(ports, request, CONSUMER_SYNC_OVERDUE, envelope, plan)


# --- one way for all ------------------------------------------------------------------------------------
def _consume(ports: Ports, request: Request, consumer: str, envelope: Envelope, plan: Plan | None) -> str:
    recipient: Mapping[str, Any] | None = None
    known: Mapping[str, Any] | None = None
    outcome = NO_NOTICE
    if plan is not None:
        # 1. Before the transaction: the backup as it is now (backups), the recipient's account (identity).
        known = ports.backups.facts(plan.backup_id)
        recipient_id = plan.recipient_id or (known or {}).get("owner_id")
        if recipient_id is None:
            outcome = OWNER_UNKNOWN
        else:
            recipient = ports.accounts.account(recipient_id)
            outcome = NO_ACCOUNT if recipient is None else outcome
    # 2. One unit of work: inbox and the notice (send, then record).
    with ports.store.unit_of_work(actor=envelope.actor, correlation_id=request.correlation_id,
                                  causation_id=envelope.event_id) as uow:
        if not uow.first_time(consumer, envelope.event_id):
            request.log.info("duplicate_event_ignored", event_id=envelope.event_id)
            return DUPLICATE_EVENT
        if plan is None or recipient is None:
            if plan is not None:
                request.log.warning("notice_skipped", kind=plan.kind, fact_id=plan.fact_id, reason=outcome)
            return outcome
        key = NoticeKey(plan.kind, plan.fact_id, str(recipient["id"]))
        address = mail_address(recipient)
        if address is None:
            request.log.warning("notice_skipped", kind=key.kind, fact_id=key.fact_id,
                                recipient_id=key.recipient_id, reason=NO_ADDRESS)
            return NO_ADDRESS
        if not ports.send_guard.try_claim(uow, f"notice:{key}"):
            raise NoticeBusy(str(key))
        if ports.notices.was_sent(uow, key):
            request.log.info("notice_already_sent", kind=key.kind, fact_id=key.fact_id,
                             recipient_id=key.recipient_id)
            return ALREADY_SENT
        backup = BackupRef(plan.backup_id, plan.number or (known or {}).get("backup_number"),
                           (known or {}).get("name"))
        notice = _compose(ports, key, recipient.get("name") or recipient.get("username") or "", backup,
                          envelope.data)
        now = ports.clock()
        message_id = ports.mailer.send(address, notice.subject, notice.text, key=key.digest)
        ports.notices.record_sent(uow, key, plan.backup_id, mask_email(address) or "", message_id, now)
    request.log.info("notice_sent", kind=key.kind, fact_id=key.fact_id, recipient_id=key.recipient_id,
                     sent_to=mask_email(address), message_id=message_id)
    return SENT


def _compose(ports: Ports, key: NoticeKey, name: str, backup: BackupRef, data: Mapping[str, Any]) -> Notice:
    url = ports.notice_settings.platform_url
    if key.kind in (BACKUP_DELEGATED, BACKUP_CLAIMED):
        return backup_moved_notice(key, name, backup, key.kind == BACKUP_CLAIMED, url)
    if key.kind == FILING_LINKED:
        return filing_linked_notice(key, name, backup, data["filing_number"], float(data["declared_mb"]), url)
    return sync_overdue_notice(key, name, backup, datetime.fromisoformat(data["since"]), int(data["attempts"]),
                               url)
