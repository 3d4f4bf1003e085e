"""A backup's data files: add, update, delete, ask for a verification code and enter it, and the
same completion for codes entered elsewhere (verification.DatasetVerified).

Whether an account submitted a dataset is the repository's word, asked of verification outside any
unit of work: a file command runs once to learn which dataset needs confirming (nothing written),
the check runs, then the command runs again with the answer (``write_checked``).
"""
import uuid
from collections.abc import Callable
from typing import Any

from hgrip_kernel.envelope import Envelope, utcnow
from hgrip_kernel.ids import canonical_id
from hgrip_kernel.ports import Request, UnitOfWork

from ..domain import refusals
from ..domain.backup import DATASET_CHANGED, FILE_GONE, Backup, Dataset, DatasetCheckNeeded, backup_stream_id
from ..domain.data_file import FileDetails
from .ports import Ports
from .writing import owned, save_backup, write

CONSUMER_DATASET_VERIFIED = "backups.on_dataset_verified"
DATASET_CHECKS = 3    # repository checks one file command may need (its target can move under it)

FileCommand = Callable[[UnitOfWork, Backup, set[Dataset]], dict]


def add_file(ports: Ports, request: Request, actor_id: Any, backup_id: Any, details: FileDetails) -> dict:
    file_id = str(uuid.uuid4())

    def command(uow: UnitOfWork, backup: Backup, confirmed: set[Dataset]) -> dict:
        backup.add_file(file_id, details, utcnow(), confirmed)
        save_backup(ports, uow, backup)
        return ports.backups.file_view(uow.connection, file_id)

    return write_checked(ports, request, actor_id, backup_id, command)


def update_file(ports: Ports, request: Request, actor_id: Any, backup_id: Any, file_id: Any, changes: dict) -> dict:
    file_id = canonical_id(file_id) or str(file_id)

    def command(uow: UnitOfWork, backup: Backup, confirmed: set[Dataset]) -> dict:
        backup.update_file(file_id, changes, utcnow(), confirmed)
        save_backup(ports, uow, backup)
        return ports.backups.file_view(uow.connection, file_id)

    return write_checked(ports, request, actor_id, backup_id, command)


def delete_file(ports: Ports, request: Request, actor_id: Any, backup_id: Any, file_id: Any) -> dict:
    file_id = canonical_id(file_id) or str(file_id)

    def work(uow: UnitOfWork) -> None:
        backup = owned(uow, actor_id, backup_id)
        backup.delete_file(file_id, utcnow())
        save_backup(ports, uow, backup)

    write(ports, request, actor_id, work)
    return {"deleted": file_id}


def write_checked(ports: Ports, request: Request, actor_id: Any, backup_id: Any, command: FileCommand) -> dict:
    """A file command that may need the repository's word on (repository, accession, account).

    The first run checks every rule of the domain and, if all pass, says which dataset needs
    confirming (rolling back: nothing written); the check runs outside any transaction; the
    command runs again with the answer. A refusal from verification passes through.
    """
    confirmed: set[Dataset] = set()
    for _ in range(DATASET_CHECKS + 1):
        try:
            return write(ports, request, actor_id, lambda uow: command(
                uow, owned(uow, actor_id, backup_id), confirmed))
        except DatasetCheckNeeded as need:
            dataset = need.dataset
        ports.verification.check_dataset(*dataset)
        confirmed.add(dataset)
    raise refusals.concurrent_modification()


def read_owned(ports: Ports, actor_id: Any, backup_id: Any) -> Backup:
    """The actor's backup folded from its stream, for checks before a remote call."""
    backup_id, owner_id = canonical_id(backup_id), canonical_id(actor_id)
    stored = ports.store.read_stream(backup_stream_id(backup_id)) if backup_id else []
    backup = Backup.rehydrate(backup_stream_id(str(backup_id)), stored) if stored else None
    if not isinstance(backup, Backup) or owner_id is None or backup.owner_id != owner_id:
        raise refusals.backup_not_found()
    return backup


def request_verification_code(ports: Ports, request: Request, actor_id: Any, backup_id: Any, file_id: Any) -> dict:
    backup = read_owned(ports, actor_id, backup_id)
    data_file = backup.file_awaiting_verification(canonical_id(file_id) or str(file_id))
    # The mail names who asked: the actor's real name, as identity knows it now.
    requester_name = ports.identity.get_account(actor_id)["name"]
    sent = ports.verification.send_code({
        "file_id": data_file.id, "backup_id": backup.backup_id,
        "requester_name": requester_name, "project_name": backup.project_name,
        "repository": data_file.repository, "accession": data_file.accession,
        "submission_account": data_file.submission_account})
    request.log.info("verification_code_requested", backup_id=backup.backup_id, file_id=data_file.id)
    return {key: sent[key] for key in ("sent_to", "expires_at", "resend_available_at")}


def verify_file(ports: Ports, request: Request, actor_id: Any, backup_id: Any, file_id: Any, code: str) -> dict:
    file_id = canonical_id(file_id) or str(file_id)
    read_owned(ports, actor_id, backup_id).file_awaiting_verification(file_id)
    verified = ports.verification.verify_code(file_id, code)  # its refusals pass through

    def work(uow: UnitOfWork) -> dict:
        backup = owned(uow, actor_id, backup_id)
        outcome = backup.dataset_verified(file_id, verified["repository"],
                                          verified["accession"], verified["verified_at"])
        if outcome == FILE_GONE:
            raise refusals.file_not_found()
        if outcome == DATASET_CHANGED:
            raise refusals.verification_outdated()
        save_backup(ports, uow, backup)  # nothing to save when DatasetVerified got here first
        return ports.backups.file_view(uow.connection, file_id)

    return write(ports, request, actor_id, work)


def dataset_verified(ports: Ports, request: Request, envelope: Envelope) -> None:
    """verification.DatasetVerified: the same completion verify_file applies, for codes entered
    elsewhere; idempotent."""
    data = envelope.data
    backup_id, file_id = canonical_id(data["backup_id"]), canonical_id(data["file_id"])

    def work(uow: UnitOfWork) -> str:
        if not uow.first_time(CONSUMER_DATASET_VERIFIED, envelope.event_id):
            return "duplicate"
        backup = uow.load(Backup, backup_stream_id(backup_id)) if backup_id else None
        if backup is None:
            return "backup_gone"
        outcome = backup.dataset_verified(str(file_id), data["repository"], data["accession"],
                                          data["verified_at"])
        save_backup(ports, uow, backup)
        return outcome

    outcome = write(ports, request, envelope.actor, work)
    request.log.info("dataset_verified_applied", outcome=outcome, backup_id=backup_id,
                     file_id=file_id, event_id=envelope.event_id)
