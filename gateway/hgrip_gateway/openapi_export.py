"""Write the gateway's OpenAPI document to a file, for the web client's generator (make web-api).

    python -m hgrip_gateway.openapi_export web/src/api/openapi.json

Built from the route declarations exactly as ``GET /api/v1/openapi.json`` builds it; nothing needs
to run. The text is stable (sorted keys, two-space indent, trailing newline) so that the committed
file changes only when the API does.
"""
import argparse
import json
import sys
from pathlib import Path


def render(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def current_text() -> str:
    from .service import openapi_document  # imports nameko; only when really needed
    return render(openapi_document())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hgrip_gateway.openapi_export", description=__doc__.split("\n")[0])
    parser.add_argument("output", type=Path, help="file to write, e.g. web/src/api/openapi.json")
    args = parser.parse_args(argv)
    text = current_text()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.output.exists() and args.output.read_text(encoding="utf-8") == text:
        print(f"{args.output}: up to date")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"{args.output}: written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
