"""Does a dataset belong to an account: the repository's submitter must be the submission account typed."""
from hgrip_kernel.errors import DomainError
from hgrip_kernel.ports import Log, Request

from ..domain import accession_is_well_formed, check_ownership, refusals
from .ports import Dataset, Ports, RepositoryClient, RepositoryUnavailable


def check_dataset(ports: Ports, request: Request, repository: str, accession: str,
                  submission_account: str) -> dict:
    """The answer of ``check_dataset`` (arguments already validated), or the mismatch refusal."""
    repositories, log = ports.repositories, request.log
    dataset = None
    # A malformed accession cannot exist there: no need to ask.
    if accession_is_well_formed(repository, accession):
        dataset = _find_dataset(repositories, log, repository, accession)
    try:
        check_ownership(dataset, submission_account)
    except DomainError:
        log.info("dataset_check_refused", repository=repository, accession=accession, known=dataset is not None)
        raise
    log.info("dataset_checked", repository=repository, accession=accession)
    return {"repository": repository, "accession": accession, "submitter_matches": True}


def _find_dataset(repositories: RepositoryClient, log: Log, repository: str, accession: str) -> Dataset | None:
    try:
        return repositories.find_dataset(repository, accession)
    except RepositoryUnavailable as exc:
        log.warning("repository_unavailable", repository=repository, reason=exc.reason)
        raise refusals.repository_unavailable(repository) from None
