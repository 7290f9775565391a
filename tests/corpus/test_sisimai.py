"""The classifier on real-world bounces and auto-replies nobody here wrote (sisimai corpus).

The corpus lives outside the project (../shared/corpora/sisimai, BSD-2-Clause) and is
never copied in; without it these tests skip.

Thresholds are the measured figures rounded down, so a regression fails:
- bounces (606 ``lhost-``/``rhost-``/``rfc3464-`` files): 603 classified BOUNCE (99.5%),
  none HUMAN. The three misses are Amazon SES notices that report no failure, which
  sisimai files with its bounces: one Complaint (lhost-amazonses-11, BULK like an ARF
  report) and two Delivery notices (-12, -13: "your mail arrived", BULK).
- ``HUMAN`` is allowed only for sisimai's two negative samples (``HUMAN_OK``). A person
  forwarding a bounce (lhost-sendmail-14, "Fwd: Returned mail" with the DSN quoted) is
  a BOUNCE that marks nobody bouncing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ghostwatch.core.domain import Classification, FolderRole, Kind
from ghostwatch.core.mail.classify import classify, classify_body, parse_headers

MAILDIR = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "sisimai" / "maildir"
ACCOUNT = frozenset({"kijitora@example.jp"})
BOUNCE_RECALL_MIN = 0.99
# Read by hand: these are people writing, whatever directory they sit in.
HUMAN_OK = {
    "is-not-bounce-01.eml",  # a plain message sent through curl
    "is-not-bounce-02.eml",  # Apple Mail forwarding a mail as an attachment
}
BOUNCE_PREFIXES = ("lhost-", "rhost-", "rfc3464-")

pytestmark = pytest.mark.skipif(not MAILDIR.is_dir(), reason=f"corpus absent: {MAILDIR}")


def _files(sub: str) -> list[Path]:
    return sorted((MAILDIR / sub).glob("*.eml")) if MAILDIR.is_dir() else []


def _run(path: Path) -> Classification:
    raw = path.read_bytes()
    env = parse_headers(raw)
    first = classify(env, role=FolderRole.INBOX, account_addresses=ACCOUNT, clients=())
    return classify_body(raw, first, env) if first.needs_body else first


@pytest.fixture(scope="module")
def results() -> dict[str, Classification]:
    return {p.name: _run(p) for p in _files("bsd") + _files("not")}


def test_corpus_present_and_complete(results):
    assert len(_files("bsd")) == 629
    assert len(results) == 632


def test_nothing_automated_is_human(results):
    human = {name for name, c in results.items() if c.kind is Kind.HUMAN}
    assert human <= HUMAN_OK


def test_bounce_recall(results):
    bounces = {n: c for n, c in results.items() if n.startswith(BOUNCE_PREFIXES)}
    recall = sum(c.kind is Kind.BOUNCE for c in bounces.values()) / len(bounces)
    assert recall >= BOUNCE_RECALL_MIN, f"bounce recall {recall:.3f}"


def test_no_bounce_is_human(results):
    human = [
        n for n, c in results.items() if n.startswith(BOUNCE_PREFIXES) and c.kind is Kind.HUMAN
    ]
    assert human == []


def test_a_forwarded_bounce_marks_nobody(results):
    c = results["lhost-sendmail-14.eml"]
    assert (c.kind, c.bounced) == (Kind.BOUNCE, ())


def test_ses_notices(results):
    assert results["lhost-amazonses-09.eml"].bounced == ("bounce@simulator.amazonses.com",)
    assert results["lhost-amazonses-12.eml"].kind is Kind.BULK  # a Delivery notice


def test_auto_replies(results):
    replies = {n: c for n, c in results.items() if n.startswith("rfc3834-")}
    assert len(replies) == 6
    assert all(c.kind is Kind.AUTO_REPLY for c in replies.values())


def test_complaint_reports_never_bounce_anyone(results):
    arf = {n: c for n, c in results.items() if n.startswith("arf-")}
    assert all(c.kind is not Kind.HUMAN and not c.bounced for c in arf.values())
    assert sum(c.kind is Kind.BULK for c in arf.values()) >= 16


def test_soft_bounce_notice_marks_nobody(results):
    c = results["rb-issue-368-bug.eml"]  # "mailbox full": temporary
    assert c.kind is Kind.BOUNCE
    assert c.bounced == ()


def test_bodies_always_resolve(results):
    assert all(not c.needs_body for c in results.values())
