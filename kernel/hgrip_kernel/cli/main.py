"""``hgrip``: the operator's command line. Packages add subcommands via the ``hgrip.commands`` entry point."""
import argparse
import sys
from importlib.metadata import entry_points

from . import contracts, deadletters, migrate, serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hgrip", description="HGRIP platform commands")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (migrate, serve, deadletters, contracts):
        module.register(commands)
    for plugin in entry_points(group="hgrip.commands"):
        plugin.load()(commands)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args) or 0


if __name__ == "__main__":
    sys.exit(main())
