"""Promise reading speed on the reply corpus (tests/corpus/promises.tsv), with baselines.

Run: .venv/bin/python bench/promises.py [--rounds N]

Measures, side by side in one run, replies per second for
- ghostwatch: ``new_text`` then ``find_promises`` (the whole reading);
- raw: mail-parser-reply's ``parse_reply`` alone (the quoted-text cut every reading needs);
- dateparser (if installed; not a dependency): ``search_dates`` on the new text, which only
  finds dates, and of the corpus's expected promise days finds the share printed.
The ratio column is ghostwatch's rate over the baseline's.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mailparser_reply import EmailReplyParser  # noqa: E402

from ghostwatch.core.promises.reader import find_promises, new_text  # noqa: E402
from tests.corpus.test_promises_corpus import ROWS, Row  # noqa: E402


def ours(row: Row) -> object:
    text = new_text(row.text, row.language)
    return find_promises(text, today=row.today, language=row.language)


def raw(row: Row) -> object:
    return EmailReplyParser(languages=["en"]).parse_reply(row.text)


def best_rate(work: Callable[[Row], object], rows: list[Row], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for row in rows:
            work(row)
        best = min(best, time.perf_counter() - start)
    return len(rows) / best


def dateparser_line(rows: list[Row], ours_rate: float) -> str | None:
    try:
        from dateparser.search import search_dates  # type: ignore[import-untyped]
    except ImportError:
        return None
    found = expected = 0
    search_dates("Friday", languages=["en"])  # its first call loads its language data
    start = time.perf_counter()
    for row in rows:
        base = datetime.combine(row.today, clock_time(12))
        settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future"}
        text = new_text(row.text, row.language)
        hits = search_dates(text, languages=[row.language], settings=settings) or []
        days = {d.date() for _, d in hits}
        expected += len(row.expected)
        found += sum(1 for _, day, _ in row.expected if day in days)
    rate = len(rows) / (time.perf_counter() - start)
    share = f"finds {found}/{expected} promised days"
    return f"| dateparser search_dates | {rate:,.0f} replies/s | {ours_rate / rate:.2f} | {share} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    rows = list(ROWS)
    ours_rate = best_rate(ours, rows, args.rounds)
    raw_rate = best_rate(raw, rows, args.rounds)
    print(f"{len(rows)} corpus replies, best of {args.rounds} rounds\n")
    print("| what | rate | ratio | note |")
    print("|---|---|---|---|")
    print(f"| ghostwatch new_text + find_promises | {ours_rate:,.0f} replies/s | 1.00 | |")
    print(f"| raw: mail-parser-reply parse_reply | {raw_rate:,.0f} replies/s | "
          f"{ours_rate / raw_rate:.2f} | quoted text only |")  # fmt: skip
    line = dateparser_line(rows, ours_rate)
    if line:
        print(line)
    print("\ncommand: `.venv/bin/python bench/promises.py`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
