"""``hgrip contracts export DIR [--check]``: JSON Schemas of the published events (docs/events.md)."""
from ..contracts.export import drift, export
from ..contracts.published import CATALOGUE


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
    parser = commands.add_parser("contracts", help="the published event contract (JSON Schemas)")
    actions = parser.add_subparsers(dest="action", required=True)
    export_parser = actions.add_parser("export", help="write one JSON Schema per published event")
    export_parser.add_argument("directory", help="e.g. contracts/jsonschema")
    export_parser.add_argument("--check", action="store_true",
                               help="write nothing; exit 1 if DIR differs from what would be written")
    export_parser.set_defaults(handler=_export)
    actions.add_parser("list", help="published and planned events").set_defaults(handler=_list)
