"""What the stand-in keeps lives in JSON-lines files under $HGRIP_VAR/hgrg/ (received.jsonl,
filings.jsonl, owner_changes.jsonl): each file is the truth of its book, read whole on start and
appended one record (one line) at a time."""
import json
from pathlib import Path


class Journal:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def records(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def append(self, record: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
