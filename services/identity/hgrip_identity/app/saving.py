"""Saving an aggregate and its read-model row is one step, written once."""
from hgrip_kernel.ports import UnitOfWork

from ..domain import Account, Institution
from .ports import Records

WRITE_ATTEMPTS = 3             # reload-and-retry on a lost optimistic-concurrency race


def save_institution(uow: UnitOfWork, records: Records, institution: Institution) -> None:
    uow.save(institution)
    records.project_institution(institution)


def save_account(uow: UnitOfWork, records: Records, account: Account) -> None:
    uow.save(account)
    records.project_account(account)
