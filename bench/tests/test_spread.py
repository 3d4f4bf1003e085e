"""Rows of several runs become one row: median with min–max, met on the median."""
from bench.spread import aggregate, combine_text


def row(p99, ratio=0.5, met=None, **extra):
    return {"what": f"(d) at 50/s (1,000 backups: 0 not received; replies p99 {p99 // 4} ms)",
            "measured": f"p50 {p99 // 3} ms, p99 {p99:,} ms", "baseline": "—", "ratio": ratio,
            "target": "p99 < 1000 ms", "met": met, **extra}


def test_each_number_becomes_its_median_with_the_runs_min_and_max():
    (out,) = aggregate([[row(1243, 0.31, False)], [row(900, 0.36, True)], [row(1100, 0.34, False)]])
    assert out["measured"] == "p50 366 (300–414) ms, p99 1,100 (900–1,243) ms"
    assert out["what"] == "(d) at 50/s (1,000 backups: 0 not received; replies p99 275 (225–310) ms)"
    assert out["ratio"] == "0.34 (0.31–0.36)"
    assert out["target"] == "p99 < 1000 ms"  # the same in every run: as it was


def test_met_is_decided_on_the_median():
    runs = [[row(1243, met=False)], [row(900, met=True)], [row(950, met=True)]]
    assert aggregate(runs)[0]["met"] is True
    runs[1][0]["met"] = False
    assert aggregate(runs)[0]["met"] is False
    assert aggregate([[row(1, met=None)]] * 3)[0]["met"] is None


def test_a_run_that_broke_a_guarantee_is_not_met_whatever_the_figures():
    runs = [[row(100, met=True)], [row(100, met=True)], [row(100, met=False, failed=True)]]
    assert aggregate(runs)[0]["met"] is False


def test_one_run_is_left_as_it_is():
    only = [row(1243, 0.31, False)]
    assert aggregate([only]) == only


def test_texts_that_differ_beyond_their_numbers_show_the_median_run():
    texts = ["slowest mix p95 40 ms (name)", "slowest mix p95 30 ms (unit)", "slowest mix p95 35 ms (name)"]
    assert combine_text(texts, 2) == (
        "slowest mix p95 35 ms (name) (run 3 of 3, the median one: the runs' texts differ)")


def test_digits_inside_words_are_not_figures():
    assert combine_text(["p99 at 50/s on hs256: 1.5", "p99 at 50/s on hs256: 2.5"], 0) == (
        "p99 at 50/s on hs256: 1.5 (1.5–2.5)")
