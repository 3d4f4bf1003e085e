"""The identity read models as ``hgrip rebuild identity`` folds them from the institution and account
streams, with the rules the live writer uses (read_models.institution_row/unit_rows/account_row).

A rebuild changes only the rows that differ (hgrip_kernel.store.replay): ``credentials`` and
``account_mobiles`` hang on ``accounts`` with ON DELETE CASCADE and are in no event (a password hash or
a mobile must never be published), so an account row is never deleted and re-inserted.
``updated_at`` (when the live writer wrote the row) is not in the events either: kept from the live row
when that row reflects the same stream version, else the time of the stream's last event.
"""
from hgrip_kernel.store.replay import Projections, ReadModel

from ..domain import Account, Institution
from .read_models import account_row, institution_row, unit_rows
from .tables import accounts, institutions, units


def _fold_institution(stream_id: str, stream: list):
    institution = Institution.rehydrate(stream_id, stream)
    if institution.exists:
        yield institutions, {**institution_row(institution), "updated_at": stream[-1].occurred_at}
        for row in unit_rows(institution):
            yield units, row


def _fold_account(stream_id: str, stream: list):
    account = Account.rehydrate(stream_id, stream)
    if account.exists:
        yield accounts, {**account_row(account), "updated_at": stream[-1].occurred_at}


def _fold_identity(stream_id: str, stream: list):
    if stream_id.startswith("institution-"):
        return _fold_institution(stream_id, stream)
    return _fold_account(stream_id, stream)


PROJECTIONS = Projections(
    service="identity",
    read_models=(
        # One read model: accounts reference institutions (a foreign key), so they are rebuilt together;
        # the institution streams are folded first.
        ReadModel("identity", (institutions, units, accounts), ("institution", "account"), _fold_identity,
                  carried={"institutions": ("updated_at",), "accounts": ("updated_at",)}),
    ),
    left_alone={
        "events": "the event store itself: what every read model is rebuilt from",
        "outbox": "delivery state of published events, not a view of them",
        "inbox": "which peer events were applied (idempotence), not derived from this store",
        "credentials": "password hashes: never in an event (they would be published and kept forever)",
        "account_mobiles": "sealed mobile numbers: never in an event, only their keyed hash is",
    },
)
