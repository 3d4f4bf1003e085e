"""``hgrip identity rotate-keys`` and ``hgrip identity new-key ID``: the keys that seal mobiles
(docs/security.md, "Keys").

A plugin of the ``hgrip`` command (entry point group ``hgrip.commands``). It works on the identity
database the way ``hgrip migrate`` finds it (``HGRIP_IDENTITY_DATABASE_URL``, else the SQLite file
under ``$HGRIP_VAR``) with the keys of the environment (HGRIP_PERSONAL_DATA_KEYS); the service may run.
Exit status: 0 done, 1 a key is missing or wrong (nothing half-done: each batch commits whole), 2 the
command was used wrongly.
"""
from hgrip_kernel.cli.parsers import add_command

SERVICE = "identity"


def _rotate(args) -> int:
    from hgrip_kernel.config import database_url, service_config
    from hgrip_kernel.personal_data import PersonalData, PersonalDataKeyError
    from hgrip_kernel.store import EventStore, create_engine

    from ..adapters.read_models import SqlDatabase
    from ..app.personal_data import rotate_mobiles
    from ..app.ports import Ports

    engine = create_engine(args.database_url or database_url(SERVICE))
    try:
        personal_data = PersonalData.from_config(service_config(SERVICE))
        store = EventStore(engine, source=SERVICE)
        ports = Ports(store=store, db=SqlDatabase(engine), passwords=None, tokens=None,  # type: ignore[arg-type]
                      personal_data=personal_data)
        rotation = rotate_mobiles(ports)
    except PersonalDataKeyError as error:
        print(f"rotation stopped: {error}")
        return 1
    finally:
        engine.dispose()
    counts = ", ".join(f"{key}: {n}" for key, n in sorted(rotation.by_key.items())) or "none kept"
    print(f"resealed {rotation.resealed} mobile(s) under key {rotation.key_id!r}; mobiles by key: {counts}")
    if not rotation.done:
        print("some mobiles are still under an older key (changed during the run): run the command again")
        return 1
    return 0


def _new_key(args) -> int:
    from hgrip_kernel.personal_data import PersonalDataKeyError, new_key_entry

    try:
        print(new_key_entry(args.key_id))
    except PersonalDataKeyError as error:
        print(error)
        return 2
    return 0


def register(commands) -> None:
    parser = add_command(commands, "identity", "identity's personal data keys",
                         "Mobile numbers are kept sealed with the keys of HGRIP_PERSONAL_DATA_KEYS "
                         "(docs/security.md): make a new key, then reseal under it.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    rotate = add_command(
        actions, "rotate-keys", "reseal every kept mobile under the first key of HGRIP_PERSONAL_DATA_KEYS",
        "Put the new key first in HGRIP_PERSONAL_DATA_KEYS (older keys after it, still able to open), run "
        "this, then drop the old keys. Safe to repeat and to run while identity serves.")
    rotate.add_argument("--database-url", help="the identity database (default: as hgrip migrate)")
    rotate.set_defaults(handler=_rotate)
    new_key = add_command(actions, "new-key", "print a fresh id:key entry for HGRIP_PERSONAL_DATA_KEYS",
                          "Prints a new random key with its id, to be placed first in "
                          "HGRIP_PERSONAL_DATA_KEYS; stores nothing.")
    new_key.add_argument("key_id", help="the new key's id (letters, digits, - or _; e.g. 2027-01)")
    new_key.set_defaults(handler=_new_key)
