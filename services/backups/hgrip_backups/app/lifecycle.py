"""A backup's life: create, update, submit (numbered and locked), its history, HGRG filings citing
it, and the projects it may be created under (projects.ProjectCreated).

Remote calls (projects, identity) happen outside units of work: a transaction (on SQLite the
process-wide writer lock) is never held while waiting for a peer, and a peer's refusal leaves
nothing written.
"""
import uuid
from typing import Any

from hgrip_kernel.envelope import Envelope, utcnow
from hgrip_kernel.ids import canonical_id
from hgrip_kernel.masking import mask_value
from hgrip_kernel.ports import Request, UnitOfWork

from ..domain import refusals
from ..domain.backup import Backup, backup_stream_id
from ..domain.history import summarise
from .numbering import submit_numbered
from .ports import Ports
from .writing import backup_view, owned, save_backup, saved_view, write

CONSUMER_PROJECT_CREATED = "backups.on_project_created"
HGRG_ACTOR = None     # events HGRG causes have no account as their actor (a system actor)


def create_backup(ports: Ports, request: Request, actor_id: Any, project_id: Any, values: dict) -> dict:
    # The actor's own project, or NotFound project_not_found (passed through).
    project = ports.projects.get_project(actor_id, project_id)
    backup_id = str(uuid.uuid4())

    def work(uow: UnitOfWork) -> dict:
        backup = Backup.create(backup_id, project, values["name"], values["categories"], utcnow())
        return saved_view(ports, uow, backup)

    view = write(ports, request, project["owner_id"], work)
    request.log.info("backup_created", backup_id=backup_id, project_id=project["id"])
    return view


def list_backups(ports: Ports, actor_id: Any, project_id: Any, filing_number: Any = None) -> list[dict]:
    """The project's backups, newest first; with ``filing_number`` only those it cites."""
    project = ports.projects.get_project(actor_id, project_id)
    with ports.connect() as connection:
        views = ports.backups.project_backups(connection, project["id"], project["owner_id"])
    if filing_number is not None:
        wanted = str(filing_number).strip()
        views = [view for view in views if wanted in view["filing_numbers"]]
    return views


def get_backup(ports: Ports, actor_id: Any, backup_id: Any) -> dict:
    with ports.connect() as connection:
        return backup_view(ports, connection, canonical_id(backup_id), canonical_id(actor_id))


def get_file(ports: Ports, actor_id: Any, backup_id: Any, file_id: Any) -> dict:
    backup = get_backup(ports, actor_id, backup_id)
    wanted = canonical_id(file_id)
    for data_file in backup["files"]:
        if data_file["id"] == wanted:
            return data_file
    raise refusals.file_not_found()


def update_backup(ports: Ports, request: Request, actor_id: Any, backup_id: Any, values: dict) -> dict:
    def work(uow: UnitOfWork) -> dict:
        backup = owned(uow, actor_id, backup_id)
        backup.update(**values)
        return saved_view(ports, uow, backup)

    return write(ports, request, actor_id, work)


def submit(ports: Ports, request: Request, actor_id: Any, backup_id: Any) -> dict:
    def work(uow: UnitOfWork) -> tuple[str, dict]:
        # The serial comes from the counter row in this very transaction: if anything fails, the
        # increment rolls back with it.
        return submit_numbered(ports, uow, owned(uow, actor_id, backup_id))

    number, view = write(ports, request, actor_id, work)
    request.log.info("backup_submitted", backup_id=view["id"], backup_number=number)
    return view


def history(ports: Ports, actor_id: Any, backup_id: Any) -> list[dict]:
    backup_id, owner_id = canonical_id(backup_id), canonical_id(actor_id)
    with ports.connect() as connection:
        if not ports.backups.owns_backup(connection, backup_id, owner_id):
            raise refusals.backup_not_found()
    return timeline(ports, str(backup_id))


def timeline(ports: Ports, backup_id: str) -> list[dict]:
    """What happened to a backup, oldest first (the caller decided who may read it)."""
    envelopes = ports.store.read_stream(backup_stream_id(backup_id))
    names = {actor: _actor_name(ports, actor) for actor in {e.actor for e in envelopes}}
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


def _actor_name(ports: Ports, actor_id: str | None) -> str | None:
    """The actor's real name for the timeline; None for system actors or unknown accounts."""
    if actor_id is None or canonical_id(actor_id) is None:
        return None
    return ports.identity.account_name(actor_id)


def link_filing(ports: Ports, request: Request, values: dict) -> dict:
    """HGRG filed a prior report (事先报告) citing backup numbers: record FilingLinked on each
    cited backup (idempotent by filing number) → ``{filing_number, linked, unknown}``.

    No actor: HGRG speaks for the platform's accounts as a whole. A cited number that no backup
    carries is reported, not refused.
    """
    number = values["filing_number"]
    with ports.connect() as connection:
        ids = ports.backups.backup_ids_by_number(connection, values["backup_numbers"])
    linked, unknown, recorded = [], [], []
    for backup_number in values["backup_numbers"]:
        backup_id = ids.get(backup_number)
        if backup_id is None:
            unknown.append(backup_number)
            continue

        def work(uow: UnitOfWork, backup_id: str = backup_id) -> bool:
            backup = uow.load(Backup, backup_stream_id(backup_id))
            assert backup is not None   # the read model has its row: the stream exists
            new = backup.link_filing(number, values["declared_mb"], values["recipient"],
                                     values["filed_at"])
            save_backup(ports, uow, backup)
            return new

        if write(ports, request, HGRG_ACTOR, work):
            recorded.append(backup_number)
        linked.append(backup_number)
    request.log.info("filing_linked", filing_number=number, linked=linked, unknown=unknown,
                     recorded=recorded)
    return {"filing_number": number, "linked": linked, "unknown": unknown}


def project_created(ports: Ports, request: Request, envelope: Envelope) -> None:
    """projects.ProjectCreated → known_projects (the inbox mark and the row commit together: a
    redelivered event is a no-op)."""
    with ports.store.unit_of_work(actor=envelope.actor, correlation_id=request.correlation_id,
                                  causation_id=envelope.event_id) as uow:
        if not uow.first_time(CONSUMER_PROJECT_CREATED, envelope.event_id):
            request.log.info("duplicate_event_ignored", event_id=envelope.event_id)
            return
        ports.backups.apply_project_created(uow.connection, envelope)
    request.log.info("project_known", project_id=envelope.data["project_id"], event_id=envelope.event_id)


def backup_facts(ports: Ports, backup_id: Any) -> dict | None:
    """A backup's owner, number and name as now, for verification's notices (None: no such backup)."""
    with ports.connect() as connection:
        return ports.backups.backup_facts(connection, str(backup_id))


def get_known_project(ports: Ports, project_id: Any) -> dict | None:
    with ports.connect() as connection:
        return ports.backups.get_known_project(connection, str(project_id))
