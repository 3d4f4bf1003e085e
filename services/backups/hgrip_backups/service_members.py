"""Members and institutions from identity's events (read models in members.py), and the actor's
authority that every institution view, delegation and claim is decided by."""
from hgrip_kernel.nameko import event_consumer

from . import members, peers
from .domain import refusals
from .domain.scope import Authority

CONSUMER_ACCOUNT_PROVISIONED = "backups.on_account_provisioned"
CONSUMER_ACCOUNT_UPDATED = "backups.on_account_updated"
CONSUMER_INSTITUTION_REGISTERED = "backups.on_institution_registered"
CONSUMER_INSTITUTION_UPDATED = "backups.on_institution_updated"


class MembersMixin:
    """Part of BackupsService (service.py): uses its store, ctx, config and identity proxy."""

    @event_consumer("identity", "AccountProvisioned")
    def on_account_provisioned(self, envelope):
        self._apply_identity_event(CONSUMER_ACCOUNT_PROVISIONED, envelope, self._apply_account)

    @event_consumer("identity", "AccountUpdated")
    def on_account_updated(self, envelope):
        self._apply_identity_event(CONSUMER_ACCOUNT_UPDATED, envelope, self._apply_account)

    @event_consumer("identity", "InstitutionRegistered")
    def on_institution_registered(self, envelope):
        self._apply_identity_event(CONSUMER_INSTITUTION_REGISTERED, envelope,
                                   members.apply_institution)

    @event_consumer("identity", "InstitutionUpdated")
    def on_institution_updated(self, envelope):
        self._apply_identity_event(CONSUMER_INSTITUTION_UPDATED, envelope,
                                   members.apply_institution)

    def _apply_account(self, connection, envelope):
        return members.apply_account(connection, envelope, self.config["MOBILE_HASH_SECRET"])

    def _apply_identity_event(self, consumer, envelope, apply):
        with self.store.unit_of_work(actor=envelope.actor, correlation_id=self.ctx.correlation_id,
                                     causation_id=envelope.event_id) as uow:
            if not uow.first_time(consumer, envelope.event_id):
                self.ctx.log.info("duplicate_event_ignored", event_id=envelope.event_id)
                return
            applied = apply(uow.connection, envelope)
        self.ctx.log.info("member_projection_applied", event_type=envelope.event_type,
                          stream_id=envelope.stream_id, applied=applied)

    def _authority(self, connection, actor_id) -> Authority:
        """The actor's role and placement. From the members read model; an account identity has
        provisioned but whose event has not reached us yet is asked of identity directly."""
        row = members.get_member(connection, actor_id) if actor_id else None
        if row is not None:
            return members.authority_of(row)
        if actor_id is None:
            raise refusals.institution_admins_only()
        with peers.reaching("identity"):
            account = self.identity.get_account(actor_id)   # account_not_found passes through
        return Authority(account_id=account["id"], role=account["role"],
                         institution_code=(account.get("institution") or {}).get("code"),
                         unit_code=(account.get("unit") or {}).get("code"),
                         employed=bool(account.get("employed", True)))
