"""The sealed mobiles under rotating keys (``hgrip identity rotate-keys``, docs/security.md).

Rotation: put a new key first in HGRIP_PERSONAL_DATA_KEYS (the old ones after it), restart identity
(new mobiles are sealed under the new key, old ones still open), run the command (every mobile is
resealed under the new key), then drop the old key from the list. The keyed hash of events does not
change: it has its own key (HGRIP_PERSONAL_DATA_HMAC_KEY), which legacy records are matched by.
"""
from dataclasses import dataclass, field
from functools import partial

from .ports import Ports

ROTATION_ACTOR = "operator-cli"
ROTATION_BATCH = 500            # mobiles resealed per transaction


@dataclass
class Rotation:
    key_id: str                                    # the key every mobile is now sealed under
    resealed: int = 0
    by_key: dict[str, int] = field(default_factory=dict)   # after the run: mobiles per key id

    @property
    def done(self) -> bool:
        return set(self.by_key) <= {self.key_id}


def rotate_mobiles(ports: Ports, batch: int = ROTATION_BATCH) -> Rotation:
    """Reseal every mobile not under the current key; safe to interrupt and run again."""
    cipher = ports.personal_data.cipher
    rotation = Rotation(cipher.current_key_id)
    while True:
        with ports.db.reading() as records:
            pending = records.mobiles_not_under(cipher.current_key_id, batch)
        if not pending:
            break
        resealed = [(account_id, old, cipher.reseal(old)) for account_id, old in pending]

        done = ports.store.write(partial(_reseal, ports, resealed), actor=ROTATION_ACTOR)
        rotation.resealed += done
        if done == 0:
            break   # every row changed under us (a provisioning resealed it): nothing left to gain
    with ports.db.reading() as records:
        rotation.by_key = records.mobiles_by_key()
    return rotation


def _reseal(ports: Ports, resealed: list, uow) -> int:
    records = ports.db.within(uow)
    return sum(records.reseal_mobile(account_id, old, new) for account_id, old, new in resealed if new)


def account_mobile(ports: Ports, account_id: str) -> str | None:
    """The account's mobile in clear (None: none kept). No RPC answers it today: verification texts
    the number a claimant types, so the clear number leaves identity's store for nobody."""
    with ports.db.reading() as records:
        sealed = records.sealed_mobile(account_id)
    return ports.personal_data.open(sealed) if sealed else None
