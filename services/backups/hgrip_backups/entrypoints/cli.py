"""``hgrip legacy import FILE [--format json|csv]``: the old platform's numbered backups (docs/legacy-import.md).

A plugin of the ``hgrip`` command (entry point group ``hgrip.commands``). It writes to the backups
database the way ``hgrip migrate`` finds it (``HGRIP_BACKUPS_DATABASE_URL``, else the SQLite file under
``$HGRIP_VAR``); the service need not run: its outbox relay publishes the events once it does.
Exit status: 0 done (also when everything was already there), 1 nothing imported because the file or
some of its records are wrong (each problem is printed), 2 the command was used wrongly.
"""
import sys

from hgrip_kernel.cli.parsers import add_command

SERVICE = "backups"


def _import(args) -> int:
    from hgrip_kernel.config import database_url, service_config
    from hgrip_kernel.store import create_engine

    from ..app.legacy_import import LegacyImportError
    from .legacy_import import import_legacy_file

    url = args.database_url or database_url(SERVICE)
    secret = service_config(SERVICE)["MOBILE_HASH_SECRET"]
    engine = create_engine(url)
    try:
        report = import_legacy_file(engine, args.file, args.format, secret,
                                    progress=not args.no_progress, out=sys.stderr)
    except LegacyImportError as error:
        print(f"legacy import failed, nothing imported: {error}")
        return 1
    finally:
        engine.dispose()
    if not report.ok:
        for problem in report.problems:
            print(f"rejected: {problem}")
        print(f"{report.summary()}")
        print(f"nothing imported: {report.rejected} legacy backup(s) have problems; "
              "correct the file and run the command again")
        return 1
    print(f"{report.summary()} [run {report.run_id}]")
    return 0


def register(commands) -> None:
    parser = add_command(commands, "legacy", "legacy backups of the old platform",
                         "Backups made on the old platform, kept so that their owners and institutions "
                         "can claim them (docs/legacy-import.md).")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    importer = add_command(
        actions, "import", "import the old platform's export (checked whole first; idempotent)",
        "Reads the old platform's export (docs/legacy-import.md) and checks every record before writing "
        "any: a wrong file changes nothing and each problem is printed. Then each legacy backup is "
        "recorded as events in the backups database ($HGRIP_BACKUPS_DATABASE_URL, else SQLite under "
        "$HGRIP_VAR); the service need not run. Importing the same file again adds nothing.")
    importer.add_argument("file", help="the export: JSON or CSV (docs/legacy-import.md)")
    importer.add_argument("--format", choices=("json", "csv"),
                          help="the file's format (default: from its extension)")
    importer.add_argument("--database-url", help="the backups database (default: as hgrip migrate)")
    importer.add_argument("--no-progress", action="store_true", help="no progress bar")
    importer.set_defaults(handler=_import)
