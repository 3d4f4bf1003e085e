"""One row out of the same row of N runs: every figure as its median with the runs' min–max.

A benchmark needs not know that it is repeated: the numbers in a row's texts are aggregated token
by token (``p99 1243 ms`` over three runs → ``p99 1243 (1100–1300) ms``), so rows written by any
benchmark module aggregate alike. The median is the lower middle (with N odd, the middle run's own
figure, printed as that run printed it). ``met`` is the majority of the runs' decisions: for a
threshold on one figure and N odd that is the decision on the median; a tie (N even) is not met,
and a run that reports a broken guarantee (``failed``, e.g. a number HGRG never received) makes
the row not met whatever the figures.
"""
import re
import statistics

# A number standing alone: 1,181 / 0.52 / 20 — not the digits of p99, hs256 or 1.2.3.
NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w.])")
TEXT_FIELDS = ("what", "measured", "baseline", "target")


def _value(token: str) -> float:
    return float(token.replace(",", ""))


def _figure(tokens: list[str]) -> str:
    ordered = sorted(tokens, key=_value)
    low, middle, high = ordered[0], ordered[(len(ordered) - 1) // 2], ordered[-1]
    return middle if _value(low) == _value(high) else f"{middle} ({low}–{high})"


def _median_run(rows: list[dict]) -> int:
    """The run whose ratio (else first measured figure) is the median: shown when texts differ."""
    keys = []
    for row in rows:
        if isinstance(row.get("ratio"), float):
            keys.append(row["ratio"])
        else:
            found = NUMBER.search(str(row.get("measured", "")))
            keys.append(_value(found.group()) if found else 0.0)
    ordered = sorted(range(len(rows)), key=keys.__getitem__)
    return ordered[(len(ordered) - 1) // 2]


def combine_text(texts: list[str], fallback: int) -> str:
    if len(set(texts)) == 1:
        return texts[0]
    templates = {NUMBER.sub("#", text) for text in texts}
    if len(templates) != 1:
        return f"{texts[fallback]} (run {fallback + 1} of {len(texts)}, the median one: the runs' texts differ)"
    columns = zip(*(NUMBER.findall(text) for text in texts), strict=True)
    figures = iter([_figure(list(column)) for column in columns])
    return NUMBER.sub(lambda _: next(figures), texts[0])


def combine_ratio(ratios: list) -> float | str:
    if len(ratios) == 1 or not all(isinstance(r, float) for r in ratios):
        return ratios[0]
    ordered = sorted(ratios)
    middle = statistics.median_low(ordered)
    if f"{ordered[0]:.2f}" == f"{ordered[-1]:.2f}":
        return middle
    return f"{middle:.2f} ({ordered[0]:.2f}–{ordered[-1]:.2f})"


def combine_met(rows: list[dict]) -> bool | None:
    decisions = [row.get("met") for row in rows]
    if all(d is None for d in decisions):
        return None
    if any(row.get("failed") for row in rows):
        return False
    return sum(d is True for d in decisions) * 2 > len(decisions)


def combine(rows: list[dict]) -> dict:
    """The same row (same position) of every run → one row."""
    fallback = _median_run(rows)
    out = {field: combine_text([str(row.get(field, "—")) for row in rows], fallback) for field in TEXT_FIELDS}
    out["ratio"] = combine_ratio([row.get("ratio", "—") for row in rows])
    out["met"] = combine_met(rows)
    return out


def aggregate(runs: list[list[dict]]) -> list[dict]:
    """Rows of each run (one list per run, same benchmark) → one row per position."""
    if len(runs) == 1:
        return runs[0]
    if len({len(rows) for rows in runs}) != 1:
        raise ValueError(f"runs of one benchmark gave different numbers of rows: {[len(r) for r in runs]}")
    return [combine(list(same)) for same in zip(*runs, strict=True)]
