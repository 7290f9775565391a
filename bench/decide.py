"""Policy: ``policy.decide`` for many clients against building its output raw.

Run: .venv/bin/python bench/decide.py --clients 10000 [--repeat 7]

Builds N ClientStates with a seeded, realistic mix (time zones with public holidays,
ball in either court, ladders part-way, snoozed, away, bouncing, ghosted, unpaid
invoices and deadlines) and times one ``decide(account, clients, now)`` call, best
of ``--repeat``. The raw baseline builds the same number of ``Decision`` dataclasses
per client (constant fields) and sorts them as decide does: the floor for producing
that output in Python. Both run in this process, alternately.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from datetime import time as dtime

import _common  # puts the repository on sys.path
from _common import Row

from ghostwatch.core import policy
from ghostwatch.core.domain import (
    AccountState,
    Action,
    ClientState,
    Deadline,
    Decision,
    Invoice,
    LadderKind,
    LadderStep,
    NudgeRecord,
    OutboxStatus,
    Rules,
    SendWindow,
    ThreadRef,
)

NOW = datetime(2026, 11, 18, 10, 30, tzinfo=UTC)  # a Wednesday
DAY = timedelta(days=1)


def rules_set() -> list[Rules]:
    ladder = (LadderStep(7 * DAY, "check_in"), LadderStep(7 * DAY, "closing_notice"))
    invoices = (LadderStep(3 * DAY, "payment_reminder"), LadderStep(7 * DAY, "work_paused"))
    deadlines = (LadderStep(2 * DAY, "deadline_reminder"),)
    zones = [("UTC", ""), ("Europe/Berlin", "DE"), ("Asia/Bangkok", "TH"),
             ("America/New_York", "US"), ("Asia/Tbilisi", "GE")]  # fmt: skip
    return [
        Rules(zone, ladder, 7 * DAY, SendWindow(dtime(9), dtime(17)), True, country,
              invoices, deadlines)
        for zone, country in zones
    ]  # fmt: skip


def make_client(i: int, rng: random.Random, rules: list[Rules]) -> ClientState:
    name = f"Client {i:05d}"
    email = f"owner@client{i:05d}.example"
    sent = NOW - timedelta(hours=rng.randint(1, 40 * 24))
    thread = ThreadRef(f"<m{i}@studio.example>", (f"<r{i}@c.example>",), "Logo drafts", email, sent)
    state = ClientState(name=name, account="studio", rules=rng.choice(rules), emails=(email,))
    roll = rng.random()
    kw: dict[str, object] = {"last_outbound": sent, "thread": thread}
    if roll < 0.30:  # the ball is in our court
        kw["last_inbound"] = sent + timedelta(hours=rng.randint(1, 48))
    elif roll < 0.55:  # waiting, ladder part-way
        steps = rng.randint(1, 2)
        kw["nudges"] = tuple(
            NudgeRecord("silence", thread.message_id, s, OutboxStatus.SENT, sent + 7 * s * DAY)
            for s in range(1, steps + 1)
        )
        kw["last_inbound"] = sent - timedelta(days=rng.randint(1, 30))
    elif roll < 0.62:
        kw["snoozed_until"] = NOW + timedelta(days=rng.randint(1, 14))
    elif roll < 0.68:
        kw["away_until"] = NOW + timedelta(days=rng.randint(1, 10))
    elif roll < 0.71:
        kw["bouncing"] = frozenset({email})
    elif roll < 0.74:
        kw["ghosted_anchor"] = thread.message_id
    if rng.random() < 0.15:
        kw["invoices"] = tuple(
            Invoice(f"invoice:INV-{i}-{n}", f"INV-{i}-{n}", "1,200 EUR",
                    (NOW - timedelta(days=rng.randint(-5, 30))).date())
            for n in range(rng.randint(1, 2))
        )  # fmt: skip
    if rng.random() < 0.05:
        due = (NOW - timedelta(days=rng.randint(0, 10))).date()
        kw["deadlines"] = (Deadline("deadline:logo feedback", "logo feedback", due),)
    return replace(state, **kw)  # type: ignore[arg-type]


def account() -> AccountState:
    return AccountState(
        name="studio", address="me@studio.example", display_name="Nino", timezone="UTC",
        paused=False, last_sync_at=NOW - timedelta(minutes=1), max_sync_age=timedelta(hours=2),
        max_nudges_per_day=20,
    )  # fmt: skip


def raw_baseline(clients: list[ClientState], per_client: list[int]) -> Callable[[], object]:
    """Build as many Decisions per client as decide returns for it, then sort them."""
    epoch = datetime(2026, 1, 1, tzinfo=UTC)

    def run() -> list[Decision]:
        out = [
            Decision(client=c.name, account=c.account, action=Action.WAIT, ladder="silence",
                     kind=LadderKind.SILENCE, anchor="<m@studio.example>", step=1,
                     template="check_in", at=c.last_outbound or epoch, reason="")
            for c, k in zip(clients, per_client, strict=True)
            for _ in range(k)
        ]  # fmt: skip
        out.sort(key=lambda d: (d.at, d.client, d.ladder))
        return out

    return run


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    rules = rules_set()
    clients = [make_client(i, rng, rules) for i in range(args.clients)]
    acct = account()
    decisions = policy.decide(acct, clients, NOW)  # warm the holiday and zone caches
    counts = Counter(d.client for d in decisions)
    per_client = [counts[c.name] for c in clients]
    baseline = raw_baseline(clients, per_client)
    gw_times: list[float] = []
    raw_times: list[float] = []
    for _ in range(args.repeat):  # alternate, so both see the same machine
        g, _m = best_of(lambda: policy.decide(acct, clients, NOW), 1)
        r, _m = best_of(baseline, 1)
        gw_times.append(g)
        raw_times.append(r)
    gw_best, raw_best = min(gw_times), min(raw_times)
    n = args.clients
    actions = Counter(d.action.value for d in decisions)
    rows = [
        Row("ms per decide() call (best)", f"{gw_best * 1000:.1f}", f"{raw_best * 1000:.1f}",
            f"{gw_best / raw_best:.1f}x", f"median {statistics.median(gw_times) * 1000:.1f} ms"),
        Row("µs per client", f"{gw_best / n * 1e6:.1f}", f"{raw_best / n * 1e6:.1f}",
            f"{gw_best / raw_best:.1f}x"),
        Row("decisions returned", f"{len(decisions):,}", f"{sum(per_client):,}", "",
            ", ".join(f"{k} {v}" for k, v in sorted(actions.items()))),
    ]  # fmt: skip
    title = f"policy.decide for {n:,} clients (best of {args.repeat})"
    _common.print_table(title, rows, command=_common.command_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
