"""Mobiles leave the clear: account_mobiles keeps them sealed, events carry only their keyed hash.

- ``account_mobiles``: each account's mobile sealed under HGRIP_PERSONAL_DATA_KEYS' first key, and
  masked for answers; filled from ``accounts.mobile``, which is dropped.
- The AccountProvisioned / AccountUpdated events already stored (v1, v2: clear ``mobile``) are
  rewritten as v3 (``mobile_hash``, hgrip_kernel.contracts.identity.upcast_account). The one rewrite
  of an append-only store, on purpose: personal data must not outlive its need in an event history.
  Events already published were consumed by backups, which kept only the same hash.

Needs the keys of the platform (the environment, else $HGRIP_VAR/secrets as every service) only when
there is something to seal or rewrite; a fresh database needs none.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ACCOUNT_EVENTS = ("AccountProvisioned", "AccountUpdated")
_events = sa.table("events", sa.column("position", sa.BigInteger), sa.column("event_type", sa.String),
                   sa.column("schema_version", sa.Integer), sa.column("data", sa.JSON))
_accounts = sa.table("accounts", sa.column("id", sa.String), sa.column("mobile", sa.String))


def _personal_data():
    from hgrip_kernel.config import personal_data_hmac_key, personal_data_keys
    from hgrip_kernel.personal_data import PersonalData
    return PersonalData(personal_data_hmac_key(), personal_data_keys())


def upgrade() -> None:
    from hgrip_kernel.contracts.identity import ACCOUNT_EVENT_VERSION, upcast_account
    from hgrip_kernel.envelope import utcnow
    from hgrip_kernel.masking import mask_mobile
    from hgrip_kernel.store.tables import UTCDateTime

    connection = op.get_bind()
    clear = connection.execute(sa.select(_accounts.c.id, _accounts.c.mobile)
                               .where(_accounts.c.mobile.is_not(None))).all()
    old_events = connection.execute(
        sa.select(_events.c.position, _events.c.event_type, _events.c.schema_version, _events.c.data)
        .where(_events.c.event_type.in_(_ACCOUNT_EVENTS),
               _events.c.schema_version < ACCOUNT_EVENT_VERSION)).all()
    _drop_mobile_column(connection)
    mobiles = op.create_table(
        "account_mobiles",
        sa.Column("account_id", sa.String(36), sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("mobile_sealed", sa.Text, nullable=False),
        sa.Column("mobile_masked", sa.String(20), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False))
    op.create_index("ix_account_mobiles_key_id", "account_mobiles", ["key_id"])
    if clear or old_events:
        keys = _personal_data()
        now = utcnow()
        rows = []
        for account_id, mobile in clear:
            if keys.mobile_hash(mobile) is None:
                continue   # not a mobile (never accepted by identity's schema): nothing worth keeping
            sealed = keys.seal(mobile)
            rows.append({"account_id": account_id, "key_id": sealed.key_id, "mobile_sealed": sealed.token,
                         "mobile_masked": mask_mobile(mobile), "updated_at": now})
        if rows:
            op.bulk_insert(mobiles, rows)
        for position, _type, version, data in old_events:
            connection.execute(sa.update(_events).where(_events.c.position == position).values(
                data=upcast_account(data, version, keys.mobile_hash), schema_version=ACCOUNT_EVENT_VERSION))


def _drop_mobile_column(connection) -> None:
    if connection.dialect.name == "sqlite":
        # Natively (SQLite >= 3.35): batch mode would rebuild ``accounts``, and with foreign keys on,
        # dropping the old table cascades into ``credentials`` (every password hash gone).
        op.execute("ALTER TABLE accounts DROP COLUMN mobile")
    else:
        op.drop_column("accounts", "mobile")


def downgrade() -> None:
    # The table comes back with each account's current mobile; the events stay v3 (their past clear
    # numbers are gone by design).
    op.add_column("accounts", sa.Column("mobile", sa.String(20)))
    connection = op.get_bind()
    kept = connection.execute(sa.text("SELECT account_id, key_id, mobile_sealed FROM account_mobiles")).all()
    if kept:
        from hgrip_kernel.personal_data import Sealed
        keys = _personal_data()
        for account_id, key_id, token in kept:
            connection.execute(sa.update(_accounts).where(_accounts.c.id == account_id)
                               .values(mobile=keys.open(Sealed(key_id, token))))
    op.drop_index("ix_account_mobiles_key_id", table_name="account_mobiles")
    op.drop_table("account_mobiles")
