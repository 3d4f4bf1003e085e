"""``hgrip contracts export DIR [--check]``: JSON Schemas of the published events (docs/events.md)."""
from ..contracts.export import drift, export
from ..contracts.published import CATALOGUE
from .parsers import add_command


def _export(args) -> int:
    if args.check:
        problems = drift(args.directory)
        for name in problems:
            print(f"out of date: {name}")
        if problems:
            print(f"run: hgrip contracts export {args.directory}")
            return 1
        print("published contract schemas are up to date")
        return 0
    for path in export(args.directory):
        print(f"wrote {path}")
    return 0


def _list(args) -> int:
    for event in CATALOGUE:
        version = f"v{event.version}" if event.version else "-"
        print(f"{event.routing_key:32} {version:4} {event.status}")
    return 0


def register(commands) -> None:
    parser = add_command(
        commands, "contracts", "the published event contract (JSON Schemas)",
        "The events downstream systems (HGRG first) read from the exchange hgrip.published, as JSON "
        "Schemas generated from the code (docs/events.md).")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    export_parser = add_command(actions, "export", "write one JSON Schema per published event",
                                "Writes DIRECTORY/<event>.v<version>.json for every published event; "
                                "with --check, writes nothing and tells whether DIRECTORY is up to date.")
    export_parser.add_argument("directory", help="e.g. contracts/jsonschema")
    export_parser.add_argument("--check", action="store_true",
                               help="write nothing; exit 1 if DIR differs from what would be written")
    export_parser.set_defaults(handler=_export)
    add_command(actions, "list", "list the published and planned events",
                "Prints each event's routing key, contract version and status (published or planned), "
                "from the catalogue in the code; touches no server.").set_defaults(handler=_list)
