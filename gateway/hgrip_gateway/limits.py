"""What the gateway accepts of any request, in one place: errors.py words its refusals with these
numbers, responses.py and protocol.py enforce them, docs/api.md and the OpenAPI document state them."""

# Every body the API accepts is a small JSON object (the largest, an institution with its units,
# is a few KiB): anything bigger is refused from Content-Length, or while a chunked body is read.
MAX_BODY_BYTES = 1024 * 1024
# No request schema nests deeper than 3 levels; json.loads recurses per level (RecursionError at
# ~1000), so depth is counted on the raw bytes before parsing.
MAX_JSON_DEPTH = 32
# The request line and each header line (eventlet's limits, answered 414 and 431 here).
MAX_REQUEST_LINE_BYTES = 8192
