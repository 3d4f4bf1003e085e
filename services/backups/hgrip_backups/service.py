"""The backups nameko service: backups under projects, their data files, submission and numbers.

Remote calls (projects, verification, identity) happen outside units of work: a transaction (on
SQLite the process-wide writer lock) is never held while waiting for a peer, and a peer's refusal
leaves nothing written.
"""
import uuid

from nameko.dependency_providers import Config
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy, rpc

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.errors import DomainError
from hgrip_kernel.health import health_report
from hgrip_kernel.masking import mask_value
from hgrip_kernel.nameko import EventStoreProvider, RequestContext, event_consumer

from . import numbering, peers, projections, schemas, views
from .domain import (
    DATASET_CHANGED,
    FILE_GONE,
    Backup,
    DatasetCheckNeeded,
    backup_stream_id,
    refusals,
    taxonomy,
)
from .domain.history import summarise
from .service_delegation import DelegationMixin
from .service_institution import InstitutionViewsMixin
from .service_legacy import LegacyClaimsMixin
from .service_members import MembersMixin

CONSUMER_PROJECT_CREATED = "backups.on_project_created"
CONSUMER_DATASET_VERIFIED = "backups.on_dataset_verified"
HGRG_ACTOR = None     # events HGRG causes have no account as their actor (a system actor)
WRITE_ATTEMPTS = 3    # reload-and-retry when another request changed the same backup first
DATASET_CHECKS = 3    # repository checks one file command may need (its target can move under it)

# Refusals are answers, not faults: nameko logs them as warnings rather than errors.
refusing_rpc = rpc(expected_exceptions=DomainError)


class BackupsService(MembersMixin, InstitutionViewsMixin, DelegationMixin, LegacyClaimsMixin):
    name = "backups"

    store = EventStoreProvider()
    ctx = RequestContext()
    config = Config()
    projects = RpcProxy("projects")
    verification = RpcProxy("verification")
    identity = RpcProxy("identity")

    @rpc
    def health(self):
        return health_report(self.name, self.store)

    @rpc
    def taxonomy(self, actor_id=None):
        """Categories, detailed types and repositories; the same for everyone (actor optional)."""
        return taxonomy.as_dict()

    # --- backups -----------------------------------------------------------------------------
    @refusing_rpc
    def create_backup(self, actor_id, project_id, payload):
        values = schemas.load_create_backup(payload)
        with peers.reaching("projects"):
            # The actor's own project, or NotFound project_not_found (passed through).
            project = self.projects.get_project(actor_id, project_id)
        backup_id = str(uuid.uuid4())

        def work(uow):
            backup = Backup.create(backup_id, project, values["name"], values["categories"], utcnow())
            return self._save(uow, backup)

        view = self._write(project["owner_id"], work)
        self.ctx.log.info("backup_created", backup_id=backup_id, project_id=project["id"])
        return view

    @refusing_rpc
    def list_backups(self, actor_id, project_id, filing_number=None):
        """The project's backups, newest first; with ``filing_number`` only those it cites."""
        with peers.reaching("projects"):
            project = self.projects.get_project(actor_id, project_id)
        with self.store.engine.connect() as connection:
            rows = projections.list_for_project(connection, project["id"], project["owner_id"])
            numbers = projections.filing_numbers_of(connection, [row["id"] for row in rows])
        if filing_number is not None:
            wanted = str(filing_number).strip()
            rows = [row for row in rows if wanted in numbers[row["id"]]]
        return [views.backup_view(row, filing_numbers=numbers[row["id"]]) for row in rows]

    @refusing_rpc
    def get_backup(self, actor_id, backup_id):
        with self.store.engine.connect() as connection:
            return self._backup_view(connection, _canonical(backup_id), _canonical(actor_id))

    @refusing_rpc
    def get_file(self, actor_id, backup_id, file_id):
        backup = self.get_backup(actor_id, backup_id)
        wanted = _canonical(file_id)
        for data_file in backup["files"]:
            if data_file["id"] == wanted:
                return data_file
        raise refusals.file_not_found()

    @refusing_rpc
    def update_backup(self, actor_id, backup_id, payload):
        values = schemas.load_update_backup(payload)

        def work(uow):
            backup = self._owned(uow, actor_id, backup_id)
            backup.update(**values)
            return self._save(uow, backup)

        return self._write(actor_id, work)

    @refusing_rpc
    def submit(self, actor_id, backup_id):
        def work(uow):
            backup = self._owned(uow, actor_id, backup_id)
            # The serial comes from the counter row in this very transaction: if anything below
            # fails, the increment rolls back with it.
            number = backup.submit(utcnow(), lambda day: numbering.next_serial(uow.connection, day))
            return number, self._save(uow, backup)

        number, view = self._write(actor_id, work)
        self.ctx.log.info("backup_submitted", backup_id=view["id"], backup_number=number)
        return view

    @refusing_rpc
    def history(self, actor_id, backup_id):
        backup_id, owner_id = _canonical(backup_id), _canonical(actor_id)
        with self.store.engine.connect() as connection:
            if projections.get_backup(connection, backup_id, owner_id) is None:
                raise refusals.backup_not_found()
        envelopes = self.store.read_stream(backup_stream_id(backup_id))
        names = {actor: self._actor_name(actor) for actor in {e.actor for e in envelopes}}
        timeline = []
        for envelope in envelopes:
            summary_zh, summary_en = summarise(envelope.event_type, envelope.data)
            timeline.append({
                "at": envelope.occurred_at.isoformat(), "event_type": envelope.event_type,
                "summary_zh": summary_zh, "summary_en": summary_en,
                "actor_id": envelope.actor, "actor_name": names[envelope.actor],
                "correlation_id": envelope.correlation_id,
                "details": mask_value(None, envelope.data),  # e-mail addresses masked
            })
        return timeline

    # --- HGRG filings -------------------------------------------------------------------------
    @refusing_rpc
    def link_filing(self, payload):
        """HGRG filed a prior report (事先报告) citing backup numbers: record FilingLinked on each
        cited backup (idempotent by filing number) → ``{filing_number, linked, unknown}``.

        Called by the gateway for HGRG (signature already checked); no actor: HGRG speaks for the
        platform's accounts as a whole. A cited number that no backup carries is reported, not refused.
        """
        values = schemas.load_link_filing(payload)
        number = values["filing_number"]
        with self.store.engine.connect() as connection:
            ids = projections.backup_ids_by_number(connection, values["backup_numbers"])
        linked, unknown, recorded = [], [], []
        for backup_number in values["backup_numbers"]:
            backup_id = ids.get(backup_number)
            if backup_id is None:
                unknown.append(backup_number)
                continue

            def work(uow, backup_id=backup_id):
                backup = uow.load(Backup, backup_stream_id(backup_id))
                new = backup.link_filing(number, values["declared_mb"], values["recipient"],
                                         values["filed_at"])
                self._save(uow, backup)
                return new

            if self._write(HGRG_ACTOR, work):
                recorded.append(backup_number)
            linked.append(backup_number)
        self.ctx.log.info("filing_linked", filing_number=number, linked=linked, unknown=unknown,
                          recorded=recorded)
        return {"filing_number": number, "linked": linked, "unknown": unknown}

    # --- data files --------------------------------------------------------------------------
    @refusing_rpc
    def add_file(self, actor_id, backup_id, payload):
        details = schemas.load_add_file(payload)
        file_id = str(uuid.uuid4())

        def command(uow, backup, confirmed):
            backup.add_file(file_id, details, utcnow(), confirmed)
            self._save(uow, backup)
            return self._file_view(uow.connection, file_id)

        return self._write_checked(actor_id, backup_id, command)

    @refusing_rpc
    def update_file(self, actor_id, backup_id, file_id, payload):
        changes = schemas.load_update_file(payload)
        file_id = _canonical(file_id) or str(file_id)

        def command(uow, backup, confirmed):
            backup.update_file(file_id, changes, utcnow(), confirmed)
            self._save(uow, backup)
            return self._file_view(uow.connection, file_id)

        return self._write_checked(actor_id, backup_id, command)

    @refusing_rpc
    def delete_file(self, actor_id, backup_id, file_id):
        file_id = _canonical(file_id) or str(file_id)

        def work(uow):
            backup = self._owned(uow, actor_id, backup_id)
            backup.delete_file(file_id, utcnow())
            self._save(uow, backup)

        self._write(actor_id, work)
        return {"deleted": file_id}

    @refusing_rpc
    def request_verification_code(self, actor_id, backup_id, file_id):
        backup = self._read_owned(actor_id, backup_id)
        data_file = backup.file_awaiting_verification(_canonical(file_id) or str(file_id))
        with peers.reaching("identity"):
            # The mail names who asked: the actor's real name, as identity knows it now.
            requester_name = self.identity.get_account(actor_id)["name"]
        with peers.reaching("verification"):
            sent = self.verification.send_code({
                "file_id": data_file.id, "backup_id": backup.backup_id,
                "requester_name": requester_name, "project_name": backup.project_name,
                "repository": data_file.repository, "accession": data_file.accession,
                "submission_account": data_file.submission_account})
        self.ctx.log.info("verification_code_requested", backup_id=backup.backup_id,
                          file_id=data_file.id)
        return {key: sent[key] for key in ("sent_to", "expires_at", "resend_available_at")}

    @refusing_rpc
    def verify_file(self, actor_id, backup_id, file_id, code):
        code = schemas.load_code(code)
        file_id = _canonical(file_id) or str(file_id)
        self._read_owned(actor_id, backup_id).file_awaiting_verification(file_id)
        with peers.reaching("verification"):
            verified = self.verification.verify_code(file_id, code)  # its refusals pass through

        def work(uow):
            backup = self._owned(uow, actor_id, backup_id)
            outcome = backup.dataset_verified(file_id, verified["repository"],
                                              verified["accession"], verified["verified_at"])
            if outcome == FILE_GONE:
                raise refusals.file_not_found()
            if outcome == DATASET_CHANGED:
                raise refusals.verification_outdated()
            self._save(uow, backup)  # nothing to save when DatasetVerified got here first
            return self._file_view(uow.connection, file_id)

        return self._write(actor_id, work)

    # --- events consumed ---------------------------------------------------------------------
    @event_consumer("projects", "ProjectCreated")
    def on_project_created(self, envelope):
        with self.store.unit_of_work(actor=envelope.actor, correlation_id=self.ctx.correlation_id,
                                     causation_id=envelope.event_id) as uow:
            # The inbox mark and the row commit together: a redelivered event is a no-op.
            if not uow.first_time(CONSUMER_PROJECT_CREATED, envelope.event_id):
                self.ctx.log.info("duplicate_event_ignored", event_id=envelope.event_id)
                return
            projections.apply_project_created(uow.connection, envelope)
        self.ctx.log.info("project_known", project_id=envelope.data["project_id"],
                          event_id=envelope.event_id)

    @event_consumer("verification", "DatasetVerified")
    def on_dataset_verified(self, envelope):
        """The same completion verify_file applies, for codes entered elsewhere; idempotent."""
        data = envelope.data
        backup_id, file_id = _canonical(data["backup_id"]), _canonical(data["file_id"])

        def work(uow):
            if not uow.first_time(CONSUMER_DATASET_VERIFIED, envelope.event_id):
                return "duplicate"
            backup = uow.load(Backup, backup_stream_id(backup_id)) if backup_id else None
            if backup is None:
                return "backup_gone"
            outcome = backup.dataset_verified(file_id, data["repository"], data["accession"],
                                              data["verified_at"])
            self._save(uow, backup)
            return outcome

        outcome = self._write(envelope.actor, work)
        self.ctx.log.info("dataset_verified_applied", outcome=outcome, backup_id=backup_id,
                          file_id=file_id, event_id=envelope.event_id)

    @rpc
    def get_known_project(self, project_id):
        with self.store.engine.connect() as connection:
            return projections.get_known_project(connection, str(project_id))

    # --- helpers -----------------------------------------------------------------------------
    def _write(self, actor_id, work):
        """Run ``work(uow)`` in a unit of work; on a lost race reload and run it again."""
        return self.store.write(work, actor=_canonical(actor_id) or actor_id, attempts=WRITE_ATTEMPTS,
                                correlation_id=self.ctx.correlation_id, causation_id=self.ctx.causation_id)

    def _write_checked(self, actor_id, backup_id, command):
        """A file command that may need the repository's word on (repository, accession, account).

        The first run checks every rule of the domain and, if all pass, says which dataset needs
        confirming (rolling back: nothing written); the check runs outside any transaction; the
        command runs again with the answer. A refusal from verification passes through.
        """
        confirmed = set()
        for _ in range(DATASET_CHECKS + 1):
            try:
                return self._write(actor_id, lambda uow: command(
                    uow, self._owned(uow, actor_id, backup_id), confirmed))
            except DatasetCheckNeeded as need:
                dataset = need.dataset
            with peers.reaching("verification"):
                self.verification.check_dataset(*dataset)
            confirmed.add(dataset)
        raise refusals.concurrent_modification()

    def _save(self, uow, backup: Backup) -> dict:
        if backup.pending:
            uow.save(backup)
            projections.write_backup(uow.connection, backup)
        return self._backup_view(uow.connection, backup.backup_id, backup.owner_id)

    def _owned(self, uow, actor_id, backup_id) -> Backup:
        backup_id, owner_id = _canonical(backup_id), _canonical(actor_id)
        backup = uow.load(Backup, backup_stream_id(backup_id)) if backup_id else None
        if backup is None or owner_id is None or backup.owner_id != owner_id:
            raise refusals.backup_not_found()
        return backup

    def _read_owned(self, actor_id, backup_id) -> Backup:
        """The actor's backup folded from its stream, for checks before a remote call."""
        backup_id, owner_id = _canonical(backup_id), _canonical(actor_id)
        stored = self.store.read_stream(backup_stream_id(backup_id)) if backup_id else []
        backup = Backup.rehydrate(backup_stream_id(backup_id), stored) if stored else None
        if backup is None or owner_id is None or backup.owner_id != owner_id:
            raise refusals.backup_not_found()
        return backup

    @staticmethod
    def _backup_view(connection, backup_id, owner_id) -> dict:
        row = projections.get_backup(connection, backup_id, owner_id) if backup_id else None
        if row is None:
            raise refusals.backup_not_found()
        return views.backup_view(
            row, projections.files_of(connection, backup_id),
            filing_numbers=projections.filing_numbers_of(connection, [backup_id])[backup_id],
            filings=projections.filings_of(connection, backup_id))

    @staticmethod
    def _file_view(connection, file_id) -> dict:
        return views.file_view(projections.get_file(connection, file_id))

    def _actor_name(self, actor_id):
        """The actor's real name for the timeline; None for system actors or unknown accounts."""
        if _canonical(actor_id) is None:
            return None
        try:
            return self.identity.get_account(actor_id)["name"]
        except (DomainError, UnknownService):
            return None


def _canonical(value) -> str | None:
    """Ids are stored in canonical lower-case form; anything that is no UUID matches nothing."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None
