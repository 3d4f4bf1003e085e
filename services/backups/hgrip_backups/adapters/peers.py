"""The peers over nameko RPC, implementing the ports of app/ports.py (Projects, Verification, Identity).

Their refusals pass through; their absence becomes a refusal too: nameko raises ``UnknownService``
when no instance of a peer has ever declared its queue, and the caller should get a 503 with a
reason, not an internal error.
"""
from collections.abc import Iterator
from contextlib import contextmanager

from nameko.exceptions import UnknownService

from hgrip_kernel.errors import DomainError

from ..domain import refusals


@contextmanager
def reaching(service: str) -> Iterator[None]:
    try:
        yield
    except UnknownService as exc:
        raise refusals.service_unavailable(service) from exc


class ProjectsPeer:
    def __init__(self, proxy):
        self.proxy = proxy

    def get_project(self, actor_id, project_id) -> dict:
        with reaching("projects"):
            return self.proxy.get_project(actor_id, project_id)

    def transfer_projects(self, transfer: dict) -> str | None:
        try:
            self.proxy.transfer_projects(transfer)
            return None
        except (DomainError, UnknownService) as exc:
            return getattr(exc, "code", type(exc).__name__)


class VerificationPeer:
    def __init__(self, proxy):
        self.proxy = proxy

    def check_dataset(self, repository: str, accession: str, submission_account: str) -> dict:
        with reaching("verification"):
            return self.proxy.check_dataset(repository, accession, submission_account)

    def send_code(self, request: dict) -> dict:
        with reaching("verification"):
            return self.proxy.send_code(request)

    def verify_code(self, file_id: str, code: str) -> dict:
        with reaching("verification"):
            return self.proxy.verify_code(file_id, code)

    def send_sms_code(self, request: dict) -> dict:
        with reaching("verification"):
            return self.proxy.send_sms_code(request)

    def verify_sms_code(self, purpose: str, subject: str, code: str) -> dict:
        with reaching("verification"):
            return self.proxy.verify_sms_code(purpose, subject, code)


class IdentityPeer:
    def __init__(self, proxy):
        self.proxy = proxy

    def get_account(self, account_id) -> dict:
        with reaching("identity"):
            return self.proxy.get_account(account_id)

    def account_name(self, account_id) -> str | None:
        try:
            return self.proxy.get_account(account_id)["name"]
        except (DomainError, UnknownService):
            return None
