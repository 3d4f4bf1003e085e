"""What verification needs from a repository: one dataset by accession, or a clear "cannot tell"."""
from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class Dataset:
    repository: str
    accession: str
    submitter: str          # the e-mail of the repository account that submitted it
    title: str | None = None
    released: str | None = None   # ISO date of public release; None while under embargo


class RepositoryUnavailable(Exception):
    """The repository could not answer (no connection, timeout, 5xx, or an answer we cannot read).

    Distinct from "not found": the caller must not tell a user their accession is wrong when the
    truth is that nobody could look it up.
    """

    def __init__(self, repository: str, reason: str):
        super().__init__(f"{repository}: {reason}")
        self.repository = repository
        self.reason = reason


class RepositoryClient(ABC):
    @abstractmethod
    def find_dataset(self, repository: str, accession: str) -> Dataset | None:
        """The dataset, None when the repository says it has no such accession, or raise
        RepositoryUnavailable."""
