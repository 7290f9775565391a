"""Classifier quality and speed on the sisimai corpus (../shared/corpora/sisimai).

Run: .venv/bin/python bench/classifier_corpus.py [--rounds N]

Prints a per-kind precision/recall table (header classification, then classify_body
where it asks for the body), the misses, and headers-only throughput of
parse_headers+classify against a bare BytesHeaderParser over the same header blocks
(the fields HEADER_FIELDS names, as an IMAP BODY.PEEK[HEADER.FIELDS] fetch returns
them), measured side by side in one run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ghostwatch.core.domain import Classification, FolderRole, Kind  # noqa: E402
from ghostwatch.core.mail.classify import (  # noqa: E402
    HEADER_FIELDS,
    classify,
    classify_body,
    parse_headers,
)

CORPUS = REPO.parent / "shared" / "corpora" / "sisimai" / "maildir"
ACCOUNT = frozenset({"kijitora@example.jp"})
# sisimai's negative samples: two ordinary messages (one forwards a mail as an
# attachment) and one bounce-like notice. Ground truth by reading them.
NOT_TRUTH = {
    "is-not-bounce-01.eml": Kind.HUMAN,
    "is-not-bounce-02.eml": Kind.HUMAN,
    "rb-issue-368-bug.eml": Kind.BOUNCE,
}


def expected_kind(path: Path) -> Kind:
    """Ground truth from the corpus file name (README of the corpus)."""
    if path.parent.name == "not":
        return NOT_TRUTH.get(path.name, Kind.HUMAN)
    if path.name.startswith("rfc3834-"):
        return Kind.AUTO_REPLY
    if path.name.startswith("arf-"):
        return Kind.BULK
    return Kind.BOUNCE


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("bsd/*.eml")) + sorted(CORPUS.glob("not/*.eml"))


def run_one(raw: bytes) -> Classification:
    """The sync loop's path: headers, then the body when asked."""
    env = parse_headers(raw)
    first = classify(env, role=FolderRole.INBOX, account_addresses=ACCOUNT, clients=())
    return classify_body(raw, first, env) if first.needs_body else first


def header_block(raw: bytes) -> bytes:
    """Only the HEADER_FIELDS lines, as IMAP HEADER.FIELDS returns them."""
    wanted = {f.lower() for f in HEADER_FIELDS}
    msg = BytesHeaderParser().parsebytes(raw)
    lines = [
        f"{name}: {value}".encode("ascii", "surrogateescape")
        for name, value in msg.raw_items()
        if name.encode("ascii", "replace").lower() in wanted
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def quality(files: list[Path]) -> None:
    truth: list[Kind] = []
    got: list[Kind] = []
    misses: list[str] = []
    with_rcpt = bounces = 0
    for path in files:
        c = run_one(path.read_bytes())
        want = expected_kind(path)
        truth.append(want)
        got.append(c.kind)
        if want is Kind.BOUNCE:
            bounces += 1
            with_rcpt += bool(c.bounced)
        if c.kind is not want:
            misses.append(
                f"  {path.parent.name}/{path.name}: want {want}, got {c.kind} ({c.reason})"
            )
    print(f"{len(files)} messages\n")
    print(f"{'kind':<12}{'truth':>7}{'got':>7}{'TP':>6}{'precision':>11}{'recall':>9}")
    for kind in Kind:
        tp = sum(1 for t, g in zip(truth, got, strict=True) if t is g is kind)
        n_true, n_got = truth.count(kind), got.count(kind)
        prec = f"{tp / n_got:.3f}" if n_got else "-"
        rec = f"{tp / n_true:.3f}" if n_true else "-"
        print(f"{kind.value:<12}{n_true:>7}{n_got:>7}{tp:>6}{prec:>11}{rec:>9}")
    human_wrong = sum(1 for t, g in zip(truth, got, strict=True) if g is Kind.HUMAN and t is not g)
    print(f"\nautomated mail classified HUMAN: {human_wrong}")
    print(
        f"bounces with >=1 hard-bounced recipient: {with_rcpt}/{bounces} (the rest: soft/unparsed)"
    )
    print("misses:" if misses else "misses: none")
    print("\n".join(misses))


def throughput(files: list[Path], rounds: int) -> None:
    blocks = [header_block(p.read_bytes()) for p in files]
    parser = BytesHeaderParser()
    n = len(blocks) * rounds

    def bare() -> None:
        for block in blocks:
            parser.parsebytes(block)

    def ours() -> None:
        for block in blocks:
            env = parse_headers(block)
            classify(env, role=FolderRole.INBOX, account_addresses=ACCOUNT, clients=())

    results = Counter[str]()
    for name, fn in (("BytesHeaderParser only", bare), ("parse_headers+classify", ours)) * 2:
        start = time.perf_counter()
        for _ in range(rounds):
            fn()
        results[name] = max(results[name], round(n / (time.perf_counter() - start)))
    print(f"\nheaders-only throughput, {n} header blocks, best of 2:")
    for name, rate in results.items():
        print(f"  {name:<24}{rate:>9,} msg/s")
    ratio = results["parse_headers+classify"] / results["BytesHeaderParser only"]
    print(f"  ratio ours/bare: {ratio:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    files = corpus_files()
    if not files:
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    quality(files)
    throughput(files, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
