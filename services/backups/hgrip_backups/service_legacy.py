"""Legacy backups (manual "备份认领"): auto-attach at first login, claims by SMS and by an institution.

The backups come from ``hgrip legacy import`` (legacy_import.py); here they get their owner, once:
- ``identity.LoginSucceeded`` with ``first_login``: a natural person whose name, mobile and
  institution equal a registrant's gets that registrant's unclaimed backups (``auto``);
- ``request_claim_code`` / ``claim_legacy``: a natural person names the registrant (name + old
  mobile), proves the mobile with an SMS code (verification), and gets them all (``sms``);
- ``institution_claim``: a legal person or unit admin names the registrant and a new delegate among
  its own members; no SMS (``institution``).
Either way the new owner must belong to the registrant's institution (tolerant name comparison).
All of a registrant's unclaimed backups move in one unit of work; their ``legacy_backups`` rows are
locked first, so of two claims racing for one registrant exactly one wins.
"""
import uuid

from nameko.rpc import rpc

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.errors import DomainError
from hgrip_kernel.nameko import event_consumer

from . import legacy_schemas, legacy_store, members, peers, projections
from .domain import Backup, backup_stream_id, refusals
from .domain.legacy import (
    AUTO,
    INSTITUTION,
    SMS,
    SMS_PURPOSE,
    NewOwner,
    check_same_institution,
    claim_subject,
)
from .domain.mobile import mobile_hash
from .domain.names import name_key
from .domain.scope import NATURAL_PERSON

CONSUMER_LOGIN_SUCCEEDED = "backups.on_login_succeeded"
CLAIM_ATTEMPTS = 3

legacy_rpc = rpc(expected_exceptions=DomainError)


class MemberNotKnownYet(Exception):
    """identity's account (or institution) event has not reached this service yet: retry later."""


class LegacyClaimsMixin:
    """Part of BackupsService (service.py): uses its store, ctx, config, identity and verification."""

    # --- auto-attach at first login -----------------------------------------------------------
    @event_consumer("identity", "LoginSucceeded")
    def on_login_succeeded(self, envelope):
        data = envelope.data
        account_id = str(data["account_id"])
        if not data["first_login"]:
            return   # only the first login attaches; later ones never move anything

        def work(uow):
            if not uow.first_time(CONSUMER_LOGIN_SUCCEEDED, envelope.event_id):
                return None
            member = members.get_member(uow.connection, account_id)
            if member is None or (member["institution_code"] and member["institution_key"] is None):
                raise MemberNotKnownYet(account_id)   # rolled back; the consumer retries the event
            if member["role"] != NATURAL_PERSON or not member["mobile_hash"] \
                    or not member["institution_key"]:
                return []
            rows = legacy_store.registrant_rows(
                uow.connection, member["name_key"], member["mobile_hash"], unclaimed_only=True,
                institution_key=member["institution_key"], lock=True)
            return self._legacy_claim_rows(uow, rows, _owner(member), AUTO, account_id)

        claimed = self.store.write(work, actor=account_id, correlation_id=self.ctx.correlation_id,
                                   causation_id=envelope.event_id, attempts=CLAIM_ATTEMPTS)
        if claimed is None:
            self.ctx.log.info("duplicate_event_ignored", event_id=envelope.event_id)
        elif claimed:
            self.ctx.log.info("legacy_backups_claimed", how=AUTO, owner_id=account_id,
                              backup_numbers=[c["backup_number"] for c in claimed])

    # --- claims by a natural person (SMS) -----------------------------------------------------
    @legacy_rpc
    def request_claim_code(self, actor_id, payload):
        """Send an SMS code to the registrant's old mobile, once the claim would be allowed:
        ``{sent_to (masked), expires_at, resend_available_at}``."""
        values = legacy_schemas.load_claim_code_request(payload)
        claimant = self._legacy_natural_claimant(actor_id)
        name, hashed = self._legacy_check_registrant(values, claimant["institution_name"])
        with peers.reaching("verification"):
            # Its refusals (sms_code_too_soon, sms_unavailable) pass through unchanged.
            sent = self.verification.send_sms_code({
                "purpose": SMS_PURPOSE, "subject": claim_subject(claimant["account_id"], name, hashed),
                "mobile": values["legacy_mobile"], "requester_name": claimant["name"]})
        self.ctx.log.info("legacy_claim_code_requested", claimant_id=claimant["account_id"])
        return {key: sent[key] for key in ("sent_to", "expires_at", "resend_available_at")}

    @legacy_rpc
    def claim_legacy(self, actor_id, payload):
        """Claim every unclaimed legacy backup of the registrant with the SMS code:
        ``{claimed: [{id, backup_number, name}], count}``."""
        values = legacy_schemas.load_claim_legacy(payload)
        claimant = self._legacy_natural_claimant(actor_id)
        name, hashed = self._legacy_check_registrant(values, claimant["institution_name"])
        with peers.reaching("verification"):
            # sms_code_not_requested / _expired / _invalid / _locked pass through unchanged.
            self.verification.verify_sms_code(
                SMS_PURPOSE, claim_subject(claimant["account_id"], name, hashed), values["sms_code"])
        claimed = self._legacy_claim_registrant(name, hashed, _owner(claimant),
                                                claimant["institution_name"], SMS, claimant["account_id"])
        return {"claimed": claimed, "count": len(claimed)}

    # --- claims by a legal person / unit administrator -----------------------------------------
    @legacy_rpc
    def institution_claim(self, actor_id, payload):
        """Claim every unclaimed legacy backup of the registrant for a delegate among the actor's
        members: ``{claimed: [{id, backup_number, name}], count, delegate: {id, username, name}}``."""
        values = legacy_schemas.load_institution_claim(payload)
        username = values["delegate_account"]
        with self.store.engine.connect() as connection:
            authority = self._authority(connection, actor_id).require_admin()
            delegate = members.find_member(connection, username)
        if delegate is None or not authority.covers(delegate["institution_code"], delegate["unit_code"]):
            raise refusals.member_not_found("delegate_account", username)
        if delegate["role"] != NATURAL_PERSON:
            raise refusals.delegate_not_natural_person(username)
        if not delegate["employed"]:
            raise refusals.delegate_not_employed(username)
        name, hashed = self._legacy_check_registrant(values, delegate["institution_name"])
        claimed = self._legacy_claim_registrant(name, hashed, _owner(delegate), delegate["institution_name"],
                                                INSTITUTION, authority.account_id)
        return {"claimed": claimed, "count": len(claimed),
                "delegate": {"id": delegate["account_id"], "username": delegate["username"],
                             "name": delegate["name"]}}

    # --- helpers ------------------------------------------------------------------------------
    def _legacy_natural_claimant(self, actor_id) -> dict:
        """The actor as a claim needs it (name, role, placement, institution name): from the members
        read model, or from identity when its events have not arrived yet."""
        account_id = _canonical(actor_id)
        row = None
        if account_id is not None:
            with self.store.engine.connect() as connection:
                row = members.get_member(connection, account_id)
        if row is not None and (row["institution_code"] is None or row["institution_name"] is not None):
            claimant = dict(row)
        else:
            with peers.reaching("identity"):
                account = self.identity.get_account(actor_id)   # account_not_found passes through
            institution, unit = account.get("institution") or {}, account.get("unit") or {}
            claimant = {"account_id": account["id"], "username": account["username"],
                        "name": account["name"], "role": account["role"],
                        "institution_code": institution.get("code"),
                        "institution_name": institution.get("name"), "unit_code": unit.get("code")}
        if claimant["role"] != NATURAL_PERSON:
            raise refusals.natural_persons_only()
        return claimant

    def _legacy_check_registrant(self, values, institution_name) -> tuple[str, str]:
        """(name key, mobile hash) of a registrant with unclaimed legacy backups whose institution
        is ``institution_name``'s; else the refusal that says why not."""
        name = name_key(values["legacy_name"])
        hashed = mobile_hash(self.config["MOBILE_HASH_SECRET"], values["legacy_mobile"])
        with self.store.engine.connect() as connection:
            rows = legacy_store.registrant_rows(connection, name, hashed)
        if not rows:
            raise refusals.legacy_registrant_not_found()
        unclaimed = [row for row in rows if row["claimed_at"] is None]
        if not unclaimed:
            raise refusals.legacy_already_claimed()
        for row in unclaimed:
            check_same_institution(row["institution_name"], institution_name)
        return name, hashed

    def _legacy_claim_registrant(self, name, hashed, owner: NewOwner, institution_name, how,
                                 claimed_by) -> list[dict]:
        def work(uow):
            rows = legacy_store.registrant_rows(uow.connection, name, hashed, unclaimed_only=True,
                                                lock=True)
            if not rows:
                raise refusals.legacy_already_claimed()   # another claim won the race
            for row in rows:   # imported since the check, perhaps
                check_same_institution(row["institution_name"], institution_name)
            return self._legacy_claim_rows(uow, rows, owner, how, claimed_by)

        claimed = self.store.write(work, actor=claimed_by, correlation_id=self.ctx.correlation_id,
                                   causation_id=self.ctx.causation_id, attempts=CLAIM_ATTEMPTS)
        self.ctx.log.info("legacy_backups_claimed", how=how, owner_id=owner.account_id,
                          claimed_by=claimed_by, backup_numbers=[c["backup_number"] for c in claimed])
        return claimed

    @staticmethod
    def _legacy_claim_rows(uow, rows, owner: NewOwner, how, claimed_by) -> list[dict]:
        """Claim each legacy backup of ``rows`` (locked) for ``owner``: event, read model, mark."""
        now, claimed = utcnow(), []
        for row in rows:
            backup = uow.load(Backup, backup_stream_id(row["backup_id"]))
            backup.claim(owner, how, claimed_by, now)
            uow.save(backup)
            projections.write_backup(uow.connection, backup)
            if not legacy_store.mark_claimed(uow.connection, row["backup_id"], owner.account_id, how, now):
                raise refusals.legacy_already_claimed()   # never reached while rows are locked
            claimed.append({"id": backup.backup_id, "backup_number": backup.backup_number,
                            "name": backup.name})
        return claimed


def _owner(member) -> NewOwner:
    return NewOwner(account_id=member["account_id"], username=member["username"],
                    institution_code=member["institution_code"], unit_code=member["unit_code"])


def _canonical(value) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None
