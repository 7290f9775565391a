"""app.state: configuration and the store's plain records become the policy's view."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime

from ghostwatch.app.state import account_state, client_state, greeting_name
from ghostwatch.config.loader import Config, parse_config
from ghostwatch.core.domain import NudgeRecord, OutboxStatus, ThreadRef
from ghostwatch.core.records import ClientFacts, DeadlinePromiseRow, InvoiceRow

CONFIG = """\
[[accounts]]
name = "studio"
address = "nino@studio.example"
timezone = "Asia/Tbilisi"
mode = "draft"

[accounts.imap]
host = "127.0.0.1"
security = "none"
username = "nino"
password = "x"

[summary]
enabled = false

[[clients]]
name = "Acme Ltd"
emails = ["jane@acme.example", "ops@acme.example"]
[[clients.deadlines]]
what = "logo feedback"
due = "2026-12-03"
"""
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def config() -> Config:
    return parse_config(tomllib.loads(CONFIG))


def invoice(**values: object) -> InvoiceRow:
    row = {
        "id": 1,
        "account": "studio",
        "client": "Acme Ltd",
        "number": "INV-7",
        "amount": "90 GEL",
        "due": date(2026, 11, 20),
        "source": "config",
        "paid_at": None,
        "paid_by": None,
    }
    return InvoiceRow(**{**row, **values})


def test_a_client_without_facts_has_an_empty_history() -> None:
    cfg = config()
    state = client_state(cfg, cfg.clients[0], None, (), ())
    assert (state.name, state.account, state.emails) == (
        "Acme Ltd",
        "studio",
        ("jane@acme.example", "ops@acme.example"),
    )
    assert state.last_inbound is state.last_outbound is state.thread is None
    assert state.away_until is None and state.bouncing == frozenset()
    assert state.auto_replies == () and state.invoices == ()
    assert [d.key for d in state.deadlines] == ["deadline:logo feedback"]


def test_facts_become_state_and_an_away_date_ends_at_the_next_local_midnight() -> None:
    cfg = config()
    thread = ThreadRef("<t@studio>", ("<a@x>",), "Logo", "jane@acme.example", T0)
    facts = ClientFacts(
        client="Acme Ltd",
        last_inbound=T0,
        last_outbound=T0.replace(hour=10),
        thread=thread,
        away_until=date(2026, 12, 5),
        snoozed_until=T0.replace(day=9),
        ghosted_anchor="silence:<t@studio>",
        bouncing=frozenset({"ops@acme.example"}),
        auto_replies=((T0, date(2026, 12, 5)), (T0.replace(hour=11), None)),
        unreadable_at=T0.replace(hour=12),
    )
    state = client_state(cfg, cfg.clients[0], facts, (), ())
    assert (state.last_inbound, state.last_outbound) == (T0, T0.replace(hour=10))
    assert state.thread == thread
    # 6 December 00:00 in Tbilisi (UTC+4) is 5 December 20:00 UTC
    assert state.away_until == datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
    assert state.snoozed_until == T0.replace(day=9)
    assert state.ghosted_anchor == "silence:<t@studio>"
    assert state.bouncing == frozenset({"ops@acme.example"})
    assert [(r.at, r.returns) for r in state.auto_replies] == [
        (T0, date(2026, 12, 5)),
        (T0.replace(hour=11), None),
    ]
    assert state.unreadable_at == T0.replace(hour=12)


def test_invoices_and_a_deadline_promise_carry_over() -> None:
    cfg = config()
    promise = DeadlinePromiseRow(
        "studio", "Acme Ltd", "deadline:logo feedback", date(2026, 12, 8), T0, "by Tuesday",
        "<r@acme>", False,
    )  # fmt: skip
    paid = invoice(paid_at=T0, paid_by="command")
    state = client_state(cfg, cfg.clients[0], None, (), (paid,), (promise,))
    [inv] = state.invoices
    assert (inv.key, inv.paid, inv.paid_at) == ("invoice:INV-7", True, T0)
    [deadline] = state.deadlines
    assert (deadline.expected_by, deadline.promised_at) == (date(2026, 12, 8), T0)
    assert deadline.promise == "by Tuesday" and not deadline.met


def test_the_greeting_prefers_the_name_on_mail_from_the_address_written_to() -> None:
    cfg = config()
    client = cfg.clients[0]
    names = (("jane@acme.example", "Jane Doe"), ("ops@acme.example", "Ops Team"))
    assert greeting_name(client, None) == ""
    assert greeting_name(client, ClientFacts("Acme Ltd", names=names)) == "Jane"


def test_sent_today_counts_a_message_once_from_local_midnight() -> None:
    cfg = config()
    # local midnight in Tbilisi on 1 December is 30 November 20:00 UTC
    before = NudgeRecord("silence", "a", 1, OutboxStatus.SENT, T0.replace(day=30, month=11))
    one = NudgeRecord("invoice", "INV-7", 1, OutboxStatus.SENT, T0, message_id="<n@s>")
    same = NudgeRecord("invoice", "INV-8", 1, OutboxStatus.SENT, T0, message_id="<n@s>")
    cancelled = NudgeRecord("silence", "b", 1, OutboxStatus.CANCELLED, T0)
    state = account_state(
        cfg.accounts[0],
        paused=False,
        last_sync_at=None,
        nudges={"Acme Ltd": (before, one, same, cancelled)},
        now=T0,
    )
    assert state.sent_today == 1
