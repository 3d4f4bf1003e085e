"""The ``RepositoryClient`` port over HTTP (docs/protocols/repositories.md): the stand-in locally, an adapter
endpoint in production; the same code talks to both."""
from urllib.parse import quote

import requests

from ..app.ports import Dataset, RepositoryUnavailable

DATASET_NOT_FOUND = "dataset_not_found"


class HttpRepositoryClient:
    def __init__(self, base_url: str, timeout: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def find_dataset(self, repository: str, accession: str) -> Dataset | None:
        # Each segment is quoted on its own, so an accession can never walk to another path.
        url = (f"{self.base_url}/repositories/{quote(repository, safe='')}"
               f"/datasets/{quote(accession, safe='')}")
        try:
            answer = self._session.get(url, timeout=self.timeout, headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise RepositoryUnavailable(repository, f"no answer: {type(exc).__name__}") from exc
        if answer.status_code == 404 and error_code(answer) == DATASET_NOT_FOUND:
            return None
        if answer.status_code != 200:
            # Any other 404 (a wrong base URL, an unknown repository) is a broken adapter, not an
            # unknown accession: saying "no match" then would wrongly blame the user.
            raise RepositoryUnavailable(repository, f"HTTP {answer.status_code}")
        return _dataset(repository, accession, answer)


def error_code(answer: requests.Response) -> str | None:
    """The ``error`` of a JSON error answer ({"error": "<code>", "message": …}), if there is one."""
    try:
        body = answer.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


def _dataset(repository: str, accession: str, answer: requests.Response) -> Dataset:
    try:
        body = answer.json()
    except ValueError as exc:
        raise RepositoryUnavailable(repository, "answer is not JSON") from exc
    if not isinstance(body, dict) or not isinstance(body.get("submitter"), str):
        raise RepositoryUnavailable(repository, "answer has no submitter")
    if body.get("repository") != repository or body.get("accession") != accession:
        raise RepositoryUnavailable(repository, "answer is about another dataset")
    return Dataset(repository=repository, accession=accession, submitter=body["submitter"],
                   title=body.get("title"), released=body.get("released"))
