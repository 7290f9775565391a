"""Fuzzing: mutated real messages through the classifier (hypothesis) and through a
full sync against Dovecot. The documented contract: ``parse_headers``, ``classify``
and ``classify_body`` never raise; a sync skips what it cannot use and goes on.

Seeds: the sisimai corpus (../shared/corpora/sisimai, skipped when absent) and our
own fixtures. Mutations: byte flips, truncation, duplicated headers, huge headers,
bad charsets and broken encoded words. A client's message with fuzzed subject, display
name and body is never dropped: it stays the client's (human, or unreadable).

Deterministic by default (``derandomize=True``, no example database): CI and every
local run try the same examples. Every input that ever failed stays as an
``@example``. A longer random exploration is one command:

    GHOSTWATCH_FUZZ_EXPLORE=20000 .venv/bin/pytest tests/proof/test_fuzz.py -k never

(the number is the examples per test; add what it finds as an ``@example``).
"""

from __future__ import annotations

import os
import random
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ghostwatch.core.domain import Classification, ClientMatcher, Direction, FolderRole, Kind
from ghostwatch.core.mail.classify import classify, classify_body, parse_headers
from tests.proof.harness import check_invariants, smtp_log
from tests.support.scenario import ACCOUNT, Scenario, client_toml, dsn, iso, mail

SISIMAI = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "sisimai" / "maildir"
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
CLIENTS = (ClientMatcher("Acme Ltd", ("jane@acme.example",), ("acme.example",)),)
OWN = frozenset({ACCOUNT, "kijitora@example.jp"})
SEED = 20261102
EXPLORE = int(os.environ.get("GHOSTWATCH_FUZZ_EXPLORE", "0"))  # see the module docstring


def fuzz_settings(examples: int) -> settings:
    """``examples`` derandomized examples, or EXPLORE random ones when asked."""
    return settings(
        max_examples=EXPLORE or examples,
        derandomize=not EXPLORE,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def own_fixtures() -> list[bytes]:
    return [
        mail("Jane <jane@acme.example>", ACCOUNT, "Re: Logo", message_id="<a@acme>", date=T0),
        mail(ACCOUNT, "jane@acme.example", "ლოგოს ესკიზები", message_id="<b@studio>", date=T0),
        mail(
            "jane@acme.example", ACCOUNT, "Out of office until 20 November",
            message_id="<c@acme>", date=T0, headers={"Auto-Submitted": "auto-replied"},
        ),
        dsn(ACCOUNT, "jane@acme.example", message_id="<d@mx>", date=T0, original_id="<b@studio>"),
    ]  # fmt: skip


def corpus_sample(limit: int = 60) -> list[bytes]:
    if not SISIMAI.is_dir():
        return []
    files = sorted(SISIMAI.rglob("*.eml"))
    return [p.read_bytes() for p in random.Random(SEED).sample(files, min(limit, len(files)))]


SEEDS = own_fixtures() + corpus_sample()


BAD_WORDS = [
    b"=?\x00bogus?Q?caf=E9?=",  # found in the field: codecs.lookup raised ValueError
    b"=?x-unknown?q?caf=E9?=",
    b"=?utf-8?b?!!!?=",
    b"=?utf-7?q?+AGE-?=",
    b"=?iso-8859-1?q?=ZZ?=",
    b"=?gb2312?b?" + bytes(range(128, 160)) + b"?=",
]
REPORT_BODY = (
    b"\r\n--zz\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n"
    b"Status: 5.9.9\r\nFinal-Recipient: rfc822; \xff@\r\n--zz--"
)


def mutate(raw: bytes, rng: random.Random, ops: list[int]) -> bytes:
    """Apply mutation ops (each an int choosing one of seven) to a message."""
    data = bytearray(raw)
    head_end = raw.find(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.find(b"\n\n")
    head_end = head_end if head_end > 0 else len(raw)
    for op in ops:
        kind = op % 7
        if kind == 0 and data:  # byte flips
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == 1 and data:  # truncation
            del data[rng.randrange(len(data)) :]
        elif kind == 2:  # a header line repeated
            lines = bytes(data[:head_end]).split(b"\n")
            pick = rng.choice(lines) if lines else b"From: x@y"
            data[0:0] = (pick.rstrip(b"\r") + b"\r\n") * rng.randint(2, 50)
        elif kind == 3:  # a huge header
            name = rng.choice([b"Subject", b"References", b"To", b"X-Junk", b"Content-Type"])
            value = rng.choice([b"<a@b> ", b"=?utf-8?b?4YOa?= ", b"x" * 100, b"\t\r\n "])
            data[0:0] = name + b": " + value * rng.randint(1000, 8000) + b"\r\n"
        elif kind == 4:  # a bad charset and a broken encoded word
            bad = rng.choice(BAD_WORDS)
            data[0:0] = b"Subject: " + bad + b"\r\nFrom: =?bogus?q?x?= <" + bad + b">\r\n"
        elif kind == 5:  # NULs, lone CRs and 8-bit bytes in headers
            data[0:0] = (
                b"To: \x00\r\xff\xfe jane@acme.example\r\nDate: "
                + bytes(rng.randbytes(20))
                + b"\r\n"
            )
        else:  # a multipart/report with a nonsense body
            data[0:0] = (
                b"Content-Type: multipart/report; report-type=delivery-status; boundary=zz\r\n"
            )
            data += REPORT_BODY
    return bytes(data)


def run_classifier(raw: bytes) -> Classification:
    env = parse_headers(raw)
    result = classify(env, role=FolderRole.INBOX, account_addresses=OWN, clients=CLIENTS)
    if result.needs_body:
        result = classify_body(raw, result, env)
    assert isinstance(result.kind, Kind) and isinstance(result.direction, Direction)
    assert result.client in (None, "Acme Ltd")
    return result


@fuzz_settings(250)
@given(
    seed=st.integers(0, len(SEEDS) - 1),
    ops=st.lists(st.integers(0, 6), min_size=1, max_size=4),
    rnd=st.randoms(use_true_random=False),
)
@example(seed=0, ops=[4], rnd=random.Random(0))  # a bad charset word on a client reply
def test_classifier_never_raises_on_mutated_messages(
    seed: int, ops: list[int], rnd: random.Random
) -> None:
    run_classifier(mutate(SEEDS[seed], rnd, ops))


@fuzz_settings(200)
@given(st.binary(max_size=4096))
@example(b"From: jane@acme.example\r\nSubject: =?\x00bogus?Q?caf=E9?=\r\n\r\n")
def test_classifier_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    run_classifier(raw)


_NAME_BYTES = st.binary(max_size=40).map(lambda b: b.translate(None, b'<>,@\r\n:;"()\\'))
_LINE_BYTES = st.binary(max_size=200).map(lambda b: b.translate(None, b"\r\n"))


@fuzz_settings(300)
@given(
    name=_NAME_BYTES,
    subject=_LINE_BYTES,
    word=st.sampled_from(BAD_WORDS),
    charset=st.binary(max_size=12).map(lambda b: b.translate(None, b'\r\n"; ')),
    body=st.binary(max_size=600),
)
@example(name=b"", subject=b"", word=BAD_WORDS[0], charset=b"\x00", body=b"")
def test_client_mail_is_never_dropped(
    name: bytes, subject: bytes, word: bytes, charset: bytes, body: bytes
) -> None:
    """Jane's reply with fuzzed display name, subject, charsets and body is always hers:
    HUMAN (contact) or UNREADABLE (stored and held), never UNRELATED."""
    raw = (
        b"From: " + name + b" <jane@acme.example>\r\nTo: " + ACCOUNT.encode() + b"\r\n"
        b"Subject: " + subject + b" " + word + b"\r\nMessage-ID: <f@acme>\r\n"
        b"Content-Type: text/plain; charset=" + charset + b"\r\n\r\n" + body
    )
    result = run_classifier(raw)
    assert result.client == "Acme Ltd", result
    assert result.direction is Direction.INBOUND
    assert result.kind in (Kind.HUMAN, Kind.UNREADABLE, Kind.AUTO_REPLY, Kind.BOUNCE), result


@pytest.mark.skipif(not SISIMAI.is_dir(), reason=f"corpus absent: {SISIMAI}")
def test_corpus_seeds_are_in_use() -> None:
    assert len(SEEDS) > 50


def test_full_sync_of_mutated_messages_against_dovecot(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    """APPEND ~150 mutated messages, run ``once``: no crash, memory bounded, and the
    one nudge that is due still goes out exactly once."""
    rng = random.Random(SEED)
    scenario.clients = client_toml("Acme Ltd", ["jane@acme.example"], ["acme.example"])
    thread = mail(ACCOUNT, "jane@acme.example", "Logo drafts", message_id="<m1@studio>", date=T0)
    imap_server.append("Sent", thread, internal_date=T0)
    appended = refused = 0
    for i in range(150):
        raw = mutate(
            SEEDS[i % len(SEEDS)], rng, [rng.randrange(7) for _ in range(rng.randint(1, 3))]
        )
        folder = "Sent" if i % 5 == 0 else "INBOX"
        try:
            imap_server.append(folder, raw, internal_date=T0 + timedelta(minutes=i % 60))
            appended += 1
        except Exception:
            refused += 1
    assert appended >= 100, (appended, refused)
    tracemalloc.start()
    try:
        code = scenario.run("once", "--now", iso(T0 + timedelta(days=7)), capsys=capsys)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    out = scenario.runs[-1][2]
    assert code == 0, out
    assert "synced" in out
    assert peak < 96 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    problems = check_invariants(scenario.directory / "gw.db", smtp_log(smtp_server))
    assert not problems, problems
    assert len(smtp_log(smtp_server)) <= 1  # a mutated reply may legitimately stop it
    print(f"\nfuzz sync: {appended} appended, {refused} refused, peak {peak / 2**20:.1f} MiB")
