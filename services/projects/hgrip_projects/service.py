"""The projects nameko service: create a project, list and read one's own projects, and move
projects to another owner with a delegation transfer (委托调整).

Remote calls (identity) happen before a unit of work opens: no transaction (on SQLite the
process-wide writer lock) is held while waiting for a peer.
"""
import uuid

from nameko.rpc import RpcProxy, rpc

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.errors import Conflict, DomainError
from hgrip_kernel.health import health_report
from hgrip_kernel.nameko import EventStoreProvider, RequestContext, event_consumer

from . import projections
from .domain import Delegation, Project, delegate_projects, project_stream_id, refusals
from .schemas import Transfer, load_create_project, load_names, load_transfer

CONSUMER_DELEGATION_TRANSFERRED = "projects.on_delegation_transferred"
WRITE_ATTEMPTS = 5  # reload-and-retry when another writer (e.g. the other path of one transfer) won

# Refusals are answers, not faults: nameko logs them as warnings rather than errors.
refusing_rpc = rpc(expected_exceptions=DomainError)


class ProjectsService:
    name = "projects"

    store = EventStoreProvider()
    ctx = RequestContext()
    identity = RpcProxy("identity")

    @rpc
    def health(self):
        return health_report(self.name, self.store)

    @refusing_rpc
    def create_project(self, actor_id, payload):
        details, consent = load_create_project(payload)
        # The account as identity knows it now: role, real name, authorisation, institution.
        account = self.identity.get_account(actor_id)
        project_id = str(uuid.uuid4())
        with self.store.unit_of_work(actor=actor_id, correlation_id=self.ctx.correlation_id,
                                     causation_id=self.ctx.causation_id) as uow:
            project = Project.create(
                project_id, account, details, consent,
                name_taken=lambda name: projections.name_taken(uow.connection, account["id"], name),
                now=utcnow())
            [created] = uow.save(project)
            row = projections.apply_project_created(uow.connection, created)
        self.ctx.log.info("project_created", project_id=project_id, owner_id=account["id"],
                          event_id=created.event_id)
        return projections.to_dict(row)

    @rpc
    def list_projects(self, actor_id):
        owner_id = _canonical_uuid(actor_id) or str(actor_id)
        with self.store.engine.connect() as connection:
            rows = projections.list_for_owner(connection, owner_id)
        return [projections.to_dict(row) for row in rows]

    @refusing_rpc
    def get_project(self, actor_id, project_id):
        project_id = _canonical_uuid(project_id)
        if project_id is None:
            raise refusals.project_not_found()
        owner_id = _canonical_uuid(actor_id) or str(actor_id)
        with self.store.engine.connect() as connection:
            row = projections.get_for_owner(connection, owner_id, project_id)
        if row is None:
            raise refusals.project_not_found()
        return projections.to_dict(row)

    # --- delegation transfers (委托调整) ------------------------------------------------------
    @refusing_rpc
    def project_names_taken(self, owner_id, names):
        """Which of ``names`` the owner already uses: a transfer to that owner would be refused."""
        names = load_names(names)
        owner_id = _canonical_uuid(owner_id)
        if owner_id is None or not names:
            return []
        with self.store.engine.connect() as connection:
            taken = set(projections.names_taken(connection, owner_id, names))
        return [name for name in dict.fromkeys(names) if name in taken]

    @refusing_rpc
    def transfer_projects(self, payload):
        """Move the projects of a backups.DelegationTransferred (its data dict); idempotent."""
        transfer = load_transfer(payload)
        return self._transfer(transfer)

    @event_consumer("backups", "DelegationTransferred")
    def on_delegation_transferred(self, envelope):
        """The same as transfer_projects, for when backups' synchronous call did not get through."""
        transfer = load_transfer(envelope.data)
        try:
            result = self._transfer(transfer, event_id=envelope.event_id)
        except Conflict as exc:
            if exc.code != "delegate_has_project_named":
                raise
            # Retrying will not help while the clash lasts: the kernel's bounded retries park
            # the message in the dead letters, where an operator decides and can replay it.
            self.ctx.log.error("delegation_transfer_refused", code=exc.code, names=exc.details["names"],
                               transfer_id=transfer.transfer_id, event_id=envelope.event_id)
            raise
        if result is None:
            self.ctx.log.info("duplicate_event_ignored", event_id=envelope.event_id)

    def _transfer(self, transfer: Transfer, event_id: str | None = None):
        """Delegate every listed project in one unit of work (all or none); with ``event_id``, the
        inbox mark commits with it and a duplicate returns None."""
        account = self.identity.get_account(transfer.to_owner_id)
        unit = account.get("unit") or None
        if (unit["code"] if unit else None) != transfer.to_unit_code:
            # The project's unit is its owner's unit as identity knows it now (as at creation).
            self.ctx.log.warning("delegate_unit_changed", transfer_id=transfer.transfer_id,
                                 transfer_unit=transfer.to_unit_code,
                                 identity_unit=unit["code"] if unit else None)
        delegation = Delegation(
            transfer_id=transfer.transfer_id, from_owner_id=transfer.from_owner_id,
            to_owner_id=transfer.to_owner_id, to_username=transfer.to_username,
            unit_code=unit["code"] if unit else None, unit_name=unit["name"] if unit else None,
            delegated_by=transfer.transferred_by, delegated_at=transfer.transferred_at)

        def work(uow):
            if event_id is not None and not uow.first_time(CONSUMER_DELEGATION_TRANSFERRED, event_id):
                return None
            loaded = {project_id: uow.load(Project, project_stream_id(project_id))
                      for project_id in transfer.project_ids}
            result = delegate_projects(
                loaded, delegation,
                names_taken=lambda moving: projections.names_taken(
                    uow.connection, transfer.to_owner_id, moving.values(), except_ids=moving))
            for project_id in result["moved"]:
                project = loaded[project_id]
                [delegated] = uow.save(project)
                projections.apply_project_delegated(uow.connection, delegated, project.state["name"])
            return result

        result = self.store.write(work, actor=transfer.transferred_by, attempts=WRITE_ATTEMPTS,
                                  correlation_id=self.ctx.correlation_id,
                                  causation_id=self.ctx.causation_id)
        if result is not None:
            self.ctx.log.info("projects_transferred", transfer_id=transfer.transfer_id,
                              from_owner_id=transfer.from_owner_id, to_owner_id=transfer.to_owner_id,
                              moved=len(result["moved"]), already=len(result["already"]),
                              skipped=result["skipped"])
        return result


def _canonical_uuid(value) -> str | None:
    """Ids are stored in canonical lower-case form; anything that is no UUID matches nothing."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None
