"""docs/performance.md: the table is rewritten, the pasted profiles after it are kept."""
from bench.__main__ import kept, render


def test_the_profiles_pasted_under_the_table_survive_a_rewrite():
    rows = [{"what": "(x) a row", "measured": "1 ms", "baseline": "—", "ratio": "0.50 (0.40–0.60)",
             "target": "—", "met": None}]
    previous = render(rows) + "\n## Profiles (before)\nbackups: sqlalchemy 30%\n\n## Profiles (after)\n…\n"
    again = render(rows, runs=3) + kept(previous)
    assert again.endswith("\n## Profiles (before)\nbackups: sqlalchemy 30%\n\n## Profiles (after)\n…\n")
    assert "| (x) a row | 1 ms | — | 0.50 (0.40–0.60) | — | — |" in again
    assert "ran 3 times" in again
    assert kept(render(rows)) == ""
