"""The backups nameko service: backups under projects, their data files, submission and numbers,
institution views, delegation transfer and legacy claims.

Thin: each RPC decodes its payload with the schemas, calls its use case in ``app/`` and returns the
answer; each event consumer hands the envelope to its use case. The use cases get the service's
store, read models, peers and secret as ``Ports`` and the request (its log and ids) as the
kernel's ``Request``: the nameko ``RequestContext`` (``self.ctx``).
"""
from nameko.dependency_providers import Config
from nameko.rpc import rpc

from hgrip_kernel.health import health_report
from hgrip_kernel.nameko import EventStoreProvider, PeerProxy, RequestContext, event_consumer, refusing_rpc

from ..adapters import legacy_store, members, queries, read_models
from ..adapters.peers import IdentityPeer, ProjectsPeer, VerificationPeer
from ..app import claims, delegation, files, institution_views, lifecycle, operator_views
from ..app import members as member_events
from ..app.ports import Ports
from ..domain import taxonomy
from . import institution_schemas, legacy_schemas, schemas


class BackupsService:
    name = "backups"

    store = EventStoreProvider()
    ctx = RequestContext()
    config = Config()
    projects = PeerProxy("projects")
    verification = PeerProxy("verification")
    identity = PeerProxy("identity")

    # --- wiring --------------------------------------------------------------------------------
    def _ports(self) -> Ports:
        return Ports(store=self.store, connect=self.store.engine.connect, backups=read_models,
                     members=members, legacy=legacy_store, institution=queries,
                     projects=ProjectsPeer(self.projects),
                     verification=VerificationPeer(self.verification),
                     identity=IdentityPeer(self.identity),
                     secret=self.config.get("MOBILE_HASH_SECRET", ""))

    @rpc
    def health(self):
        return health_report(self.name, self.store)

    @rpc
    def taxonomy(self, actor_id=None):
        """Categories, detailed types and repositories; the same for everyone (actor optional)."""
        return taxonomy.as_dict()

    # --- backups (app/lifecycle.py) --------------------------------------------------------------
    @refusing_rpc
    def create_backup(self, actor_id, project_id, payload):
        values = schemas.load_create_backup(payload)
        return lifecycle.create_backup(self._ports(), self.ctx, actor_id, project_id, values)

    @refusing_rpc
    def list_backups(self, actor_id, project_id, filing_number=None):
        """The project's backups, newest first; with ``filing_number`` only those it cites."""
        return lifecycle.list_backups(self._ports(), actor_id, project_id, filing_number)

    @refusing_rpc
    def get_backup(self, actor_id, backup_id):
        return lifecycle.get_backup(self._ports(), actor_id, backup_id)

    @refusing_rpc
    def get_file(self, actor_id, backup_id, file_id):
        return lifecycle.get_file(self._ports(), actor_id, backup_id, file_id)

    @refusing_rpc
    def update_backup(self, actor_id, backup_id, payload):
        values = schemas.load_update_backup(payload)
        return lifecycle.update_backup(self._ports(), self.ctx, actor_id, backup_id, values)

    @refusing_rpc
    def submit(self, actor_id, backup_id):
        return lifecycle.submit(self._ports(), self.ctx, actor_id, backup_id)

    @refusing_rpc
    def history(self, actor_id, backup_id):
        return lifecycle.history(self._ports(), actor_id, backup_id)

    @refusing_rpc
    def link_filing(self, payload):
        """HGRG filed a prior report (事先报告) citing backup numbers (called by the gateway for HGRG,
        signature already checked) → ``{filing_number, linked, unknown}``."""
        return lifecycle.link_filing(self._ports(), self.ctx, schemas.load_link_filing(payload))

    @refusing_rpc
    def get_backup_facts(self, backup_id):
        """For verification's notices (no actor: a peer's call): ``{backup_id, owner_id, backup_number,
        name}`` as now, None if there is no such backup."""
        return lifecycle.backup_facts(self._ports(), backup_id)

    @rpc
    def get_known_project(self, project_id):
        return lifecycle.get_known_project(self._ports(), project_id)

    # --- data files (app/files.py) ---------------------------------------------------------------
    @refusing_rpc
    def add_file(self, actor_id, backup_id, payload):
        details = schemas.load_add_file(payload)
        return files.add_file(self._ports(), self.ctx, actor_id, backup_id, details)

    @refusing_rpc
    def update_file(self, actor_id, backup_id, file_id, payload):
        changes = schemas.load_update_file(payload)
        return files.update_file(self._ports(), self.ctx, actor_id, backup_id, file_id, changes)

    @refusing_rpc
    def delete_file(self, actor_id, backup_id, file_id):
        return files.delete_file(self._ports(), self.ctx, actor_id, backup_id, file_id)

    @refusing_rpc
    def request_verification_code(self, actor_id, backup_id, file_id):
        return files.request_verification_code(self._ports(), self.ctx, actor_id, backup_id, file_id)

    @refusing_rpc
    def verify_file(self, actor_id, backup_id, file_id, code):
        code = schemas.load_code(code)
        return files.verify_file(self._ports(), self.ctx, actor_id, backup_id, file_id, code)

    # --- institution views (app/institution_views.py) ----------------------------------------------
    @refusing_rpc
    def institution_backups(self, actor_id, query=None):
        """备份列表: ``query`` {status, unit, name, pi, delegate, backup_number, filing_number,
        page, page_size, sort} → ``{items, total, page, page_size}``."""
        values = institution_schemas.load_backup_query(query)
        return institution_views.institution_backups(self._ports(), actor_id, values)

    @refusing_rpc
    def institution_backups_export(self, actor_id, query=None, after=None, limit=1000):
        """The export of 备份列表, batch by batch: ``query`` as the list's without paging, ``after`` the
        previous batch's ``next`` (None first), ``limit`` 1‥5000 → ``{items, next}``."""
        values, after, limit = institution_schemas.load_backup_export(query, after, limit)
        return institution_views.institution_backups_export(self._ports(), actor_id, values, after, limit)

    @refusing_rpc
    def institution_backup(self, actor_id, backup_id):
        """备份详细信息 of one backup in the actor's scope; 404 backup_not_found otherwise."""
        return institution_views.institution_backup(self._ports(), actor_id, backup_id)

    @refusing_rpc
    def institution_backup_history(self, actor_id, backup_id):
        """The history of one backup in the actor's scope, oldest first; 404 backup_not_found otherwise."""
        return institution_views.institution_backup_history(self._ports(), actor_id, backup_id)

    @refusing_rpc
    def institution_members(self, actor_id, query=None):
        """人员信息浏览: ``query`` {name, unit, role, page, page_size}."""
        values = institution_schemas.load_member_query(query)
        return institution_views.institution_members(self._ports(), actor_id, values)

    @refusing_rpc
    def institution_delegates(self, actor_id, query=None):
        """委托人信息浏览: ``query`` {name, unit, employed, page, page_size}."""
        values = institution_schemas.load_delegate_query(query)
        return institution_views.institution_delegates(self._ports(), actor_id, values)

    # --- the operator's console (app/operator_views.py) ---------------------------------------------
    @refusing_rpc
    def operator_backup(self, actor_id, backup_number):
        """Any backup by its number (new or legacy) → ``{backup, owner, history}``; operators only."""
        return operator_views.operator_backup(self._ports(), actor_id, backup_number)

    # --- delegation transfer (app/delegation.py) ----------------------------------------------------
    @refusing_rpc
    def transfer_delegation(self, actor_id, payload):
        values = schemas.load_transfer(payload)
        return delegation.transfer_delegation(self._ports(), self.ctx, actor_id, values)

    # --- legacy claims (app/claims.py) ----------------------------------------------------------------
    @refusing_rpc
    def request_claim_code(self, actor_id, payload):
        """Send an SMS code to the registrant's old mobile, once the claim would be allowed."""
        values = legacy_schemas.load_claim_code_request(payload)
        return claims.request_claim_code(self._ports(), self.ctx, actor_id, values)

    @refusing_rpc
    def claim_legacy(self, actor_id, payload):
        """Claim every unclaimed legacy backup of the registrant with the SMS code."""
        values = legacy_schemas.load_claim_legacy(payload)
        return claims.claim_legacy(self._ports(), self.ctx, actor_id, values)

    @refusing_rpc
    def institution_claim(self, actor_id, payload):
        """Claim every unclaimed legacy backup of the registrant for a delegate among the actor's members."""
        values = legacy_schemas.load_institution_claim(payload)
        return claims.institution_claim(self._ports(), self.ctx, actor_id, values)

    # --- events consumed ------------------------------------------------------------------------------
    @event_consumer("projects", "ProjectCreated")
    def on_project_created(self, envelope):
        lifecycle.project_created(self._ports(), self.ctx, envelope)

    @event_consumer("verification", "DatasetVerified")
    def on_dataset_verified(self, envelope):
        files.dataset_verified(self._ports(), self.ctx, envelope)

    @event_consumer("identity", "AccountProvisioned")
    def on_account_provisioned(self, envelope):
        member_events.account_changed(self._ports(), self.ctx, member_events.CONSUMER_ACCOUNT_PROVISIONED,
                                      envelope)

    @event_consumer("identity", "AccountUpdated")
    def on_account_updated(self, envelope):
        member_events.account_changed(self._ports(), self.ctx, member_events.CONSUMER_ACCOUNT_UPDATED,
                                      envelope)

    @event_consumer("identity", "InstitutionRegistered")
    def on_institution_registered(self, envelope):
        member_events.institution_changed(self._ports(), self.ctx,
                                          member_events.CONSUMER_INSTITUTION_REGISTERED, envelope)

    @event_consumer("identity", "InstitutionUpdated")
    def on_institution_updated(self, envelope):
        member_events.institution_changed(self._ports(), self.ctx,
                                          member_events.CONSUMER_INSTITUTION_UPDATED, envelope)

    @event_consumer("identity", "LoginSucceeded")
    def on_login_succeeded(self, envelope):
        claims.login_succeeded(self._ports(), self.ctx, envelope)
