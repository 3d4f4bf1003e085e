"""Repositories stand-in: GSA-Human, GWH, GVM, GenBase and OMIX answering "who submitted this dataset?".

Protocol: docs/protocols/repositories.md. Address from HGRIP_REPOSITORIES_ADDRESS (default
127.0.0.1:8040); datasets from HGRIP_REPOSITORIES_SEED (default deploy/repositories-seed.json).
`POST /repositories/control` makes it answer 503 (or slowly), so tests can see the platform cope.
"""
import json
import os
import re
import time
from pathlib import Path
from urllib.parse import unquote

from hgrip_standins.common import (
    BadRequest,
    JsonHandler,
    address_from_env,
    log,
    make_server,
    run_until_signalled,
    start_in_thread,
)
from hgrip_standins.control import Availability

DEFAULT_ADDRESS = "127.0.0.1:8040"
# deploy/repositories-seed.json of the source tree; images set HGRIP_REPOSITORIES_SEED.
DEFAULT_SEED = Path(__file__).resolve().parents[2] / "repositories-seed.json"
ACCESSION_PATTERNS = {
    "GSA-Human": re.compile(r"HRA\d{6}"),
    "GWH": re.compile(r"GWH[A-Z]{4}\d{8}(\.\d+)?"),
    "GVM": re.compile(r"GVM\d{6}"),
    "GenBase": re.compile(r"C_[A-Z]{2}\d{6}\.\d+"),
    "OMIX": re.compile(r"OMIX\d{6}(-\d{2})?"),
}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
MODES = ("ok", "down", "slow")   # the datasets: answered; refused with 503; answered after delay_ms
_DATASET_PATH = re.compile(r"/repositories/(?P<repository>[^/]+)/datasets/(?P<accession>[^/]+)")
_LIST_PATH = re.compile(r"/repositories/(?P<repository>[^/]+)/datasets")


class SeedError(ValueError):
    pass


class Catalogue:
    """The datasets, checked once at start: a seed with a malformed accession or a duplicate is refused,
    so the stand-in can never teach the platform a format the real repositories would not use."""

    def __init__(self, datasets: list[dict]):
        self._by_key: dict[tuple[str, str], dict] = {}
        for number, item in enumerate(datasets, start=1):
            dataset = _checked(item, number)
            key = (dataset["repository"], dataset["accession"])
            if key in self._by_key:
                raise SeedError(f"dataset {number}: {key[0]} {key[1]} appears twice")
            self._by_key[key] = dataset

    @classmethod
    def load(cls, path: Path) -> "Catalogue":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("datasets"), list):
            raise SeedError(f"{path}: expected an object with a 'datasets' list")
        return cls(data["datasets"])

    def find(self, repository: str, accession: str) -> dict | None:
        return self._by_key.get((repository, accession))

    def in_repository(self, repository: str, submitter: str | None = None) -> list[dict]:
        wanted = submitter.strip().lower() if submitter else None
        return [d for (repo, _), d in sorted(self._by_key.items())
                if repo == repository and (wanted is None or d["submitter"].lower() == wanted)]

    def counts(self) -> dict[str, int]:
        return {repo: len(self.in_repository(repo)) for repo in ACCESSION_PATTERNS}


def _checked(item, number: int) -> dict:
    if not isinstance(item, dict):
        raise SeedError(f"dataset {number}: not an object")
    repository, accession, submitter = item.get("repository"), item.get("accession"), item.get("submitter")
    if repository not in ACCESSION_PATTERNS:
        raise SeedError(f"dataset {number}: unknown repository {repository!r}")
    if not isinstance(accession, str) or not ACCESSION_PATTERNS[repository].fullmatch(accession):
        raise SeedError(f"dataset {number}: {accession!r} is not a {repository} accession")
    if not isinstance(submitter, str) or not EMAIL.fullmatch(submitter):
        raise SeedError(f"dataset {number}: submitter must be an e-mail address")
    released = item.get("released")
    if released is not None and not (isinstance(released, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", released)):
        raise SeedError(f"dataset {number}: released must be YYYY-MM-DD or null")
    return {"repository": repository, "accession": accession, "submitter": submitter,
            "title": item.get("title"), "released": released}


class RepositoriesHandler(JsonHandler):
    standin_name = "repositories"
    routes = {
        ("GET", "/repositories/healthz"): "healthz",
        ("GET", "/repositories/control"): "get_control",
        ("POST", "/repositories/control"): "set_control",
    }

    def resolve(self, method, path):
        exact = super().resolve(method, path)
        if exact or method != "GET":
            return exact
        for pattern, name in ((_DATASET_PATH, "dataset"), (_LIST_PATH, "datasets")):
            match = pattern.fullmatch(path)
            if match:
                return name, {key: unquote(value) for key, value in match.groupdict().items()}
        return None

    def serves_path(self, path):
        return super().serves_path(path) or bool(_DATASET_PATH.fullmatch(path) or _LIST_PATH.fullmatch(path))

    def _available(self, repository: str) -> None:
        state = self.server.availability.snapshot()
        if state["mode"] == "down":
            raise BadRequest("unavailable", f"{repository} is down (control mode)", 503)
        if state["mode"] == "slow":
            time.sleep(state["delay_ms"] / 1000)
        if repository not in ACCESSION_PATTERNS:
            raise BadRequest("repository_not_found", f"no repository {repository!r} here "
                             f"(known: {', '.join(ACCESSION_PATTERNS)})", 404)

    def dataset(self, repository, accession):
        self._available(repository)
        found = self.server.catalogue.find(repository, accession)
        if found is None:
            raise BadRequest("dataset_not_found", f"{repository} has no dataset {accession}", 404)
        return 200, found

    def datasets(self, repository):
        self._available(repository)
        submitter = (self.query.get("submitter") or [None])[0]
        items = self.server.catalogue.in_repository(repository, submitter)
        return 200, {"repository": repository, "items": items, "count": len(items)}

    def healthz(self):
        return 200, {"status": "ok", "mode": self.server.availability.snapshot()["mode"],
                     "datasets": self.server.catalogue.counts()}

    def get_control(self):
        return 200, self.server.availability.snapshot()

    def set_control(self):
        state = self.server.availability.set(self.json_body())
        log(self.standin_name, f"control: {state}")
        return 200, state


def seed_path() -> Path:
    return Path(os.environ.get("HGRIP_REPOSITORIES_SEED") or DEFAULT_SEED)


def create_server(host: str = "127.0.0.1", port: int = 8040, seed: Path | None = None):
    return make_server(RepositoriesHandler, host, port, catalogue=Catalogue.load(seed or seed_path()),
                       availability=Availability(MODES))


def main() -> None:
    host, port = address_from_env("HGRIP_REPOSITORIES_ADDRESS", DEFAULT_ADDRESS)
    server = create_server(host, port)

    def start():
        start_in_thread(server)
        counts = ", ".join(f"{repo} {count}" for repo, count in server.catalogue.counts().items())
        log("repositories", f"listening on http://{host}:{server.server_address[1]}/repositories/ "
                            f"({counts} datasets from {seed_path()})")

    run_until_signalled(start, server.shutdown, "repositories")


if __name__ == "__main__":
    main()
