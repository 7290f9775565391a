"""core.views: the typed rows of ``status`` and their JSON and text shapes.

``to_json()`` is the ``status --json`` contract: these tests pin its keys, their order
and the values' forms (ISO-8601 UTC with ``Z``, ISO dates, arrays, nested objects).
"""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest

from ghostwatch.cli.status import status_json
from ghostwatch.cli.status_table import format_health, format_table
from ghostwatch.core import policy, views
from ghostwatch.core.domain import (
    HOLD_UNTIL,
    AccountState,
    ClientState,
    Deadline,
    Invoice,
    LadderStep,
    NudgeRecord,
    OutboxStatus,
    Rules,
    SendWindow,
)
from ghostwatch.core.views import HealthRow, StatusRow, iso

# The keys of one ``status --json`` element, in order (docs/cli.md, "status").
STATUS_KEYS = [
    *("client", "account", "last_inbound", "last_outbound", "waiting_on", "state", "step"),
    *("next_action", "held", "away_until", "snoozed_until", "held_until_resume", "bouncing"),
    *("invoices", "deadlines", "account_health"),
]
HEALTH_KEYS = [
    *("account", "last_sync", "stale", "last_error", "last_error_at", "watch_mode", "paused"),
    *("unresolved_nudges", "failed_nudges", "lease_holder", "lease_expires_at"),
]


def test_iso_is_utc_with_a_z_and_keeps_none() -> None:
    tbilisi = timezone(timedelta(hours=4))
    assert iso(datetime(2026, 11, 2, 13, 0, tzinfo=tbilisi)) == "2026-11-02T09:00:00Z"
    assert iso(datetime(2026, 11, 2, 9, 0, 30, 5, tzinfo=UTC)) == "2026-11-02T09:00:30.000005Z"
    assert iso(None) is None


def test_rows_are_frozen() -> None:
    row = views.status_row(acme(), [], datetime(2026, 11, 6, 10, tzinfo=UTC))
    with pytest.raises(FrozenInstanceError):
        row.state = "ok"  # type: ignore[misc]


# --- invoice and deadline rows --------------------------------------------------------

DAY = timedelta(days=1)
RULES = Rules(
    timezone="UTC",
    ladder=(LadderStep(7 * DAY, "check_in"),),
    give_up_after=7 * DAY,
    send_window=SendWindow(time(9), time(17)),
    business_days=True,
    holidays_country="",
    invoice_ladder=(LadderStep(3 * DAY, "payment_reminder"), LadderStep(7 * DAY, "work_paused")),
    deadline_ladder=(LadderStep(2 * DAY, "deadline_reminder"),),
)
DUE = date(2026, 11, 2)
INV = Invoice("invoice:INV-014", "INV-014", "1,200 GEL", DUE)
REMINDED = NudgeRecord(
    "invoice:INV-014", "2026-11-02", 1, OutboxStatus.SENT, datetime(2026, 11, 5, 9, tzinfo=UTC)
)


def acme(**kw: Any) -> ClientState:
    base = ClientState(name="Acme", account="studio", rules=RULES, emails=("jane@a.example",))
    return replace(base, **kw)


def account(now: datetime) -> AccountState:
    return AccountState("studio", "me@s.example", "Me", "UTC", False, now, DAY, 20)


def rows(client: ClientState, now: datetime) -> list[dict[str, Any]]:
    """The invoice rows of ``client`` as ``status --json`` writes them."""
    other = replace(client, name="Other")  # same invoice number, another client
    found = views.invoice_rows(client, policy.decide(account(now), [client, other], now))
    return [r.to_json() for r in found]


def test_invoice_rows_show_the_next_step() -> None:
    now = datetime(2026, 11, 6, 10, tzinfo=UTC)
    [row] = rows(acme(invoices=(INV,), nudges=(REMINDED,)), now)
    assert row == {
        "number": "INV-014",
        "amount": "1,200 GEL",
        "due": "2026-11-02",
        "paid": False,
        "replied_at": None,
        "steps_sent": 1,
        "next_step": {
            "template": "work_paused",
            "step": 2,
            "action": "wait",
            "at": "2026-11-12T09:00:00Z",
            "reason": row["next_step"]["reason"],
        },
        "note": None,
        "paused_since": None,
        "expected_by": None,
        "promise": None,
    }


def test_a_promise_on_record_is_quoted_in_the_row_until_paid() -> None:
    now = datetime(2026, 11, 10, 10, tzinfo=UTC)
    said = "I'll pay on Friday."
    promised = replace(
        INV,
        replied_at=datetime(2026, 11, 9, 8, tzinfo=UTC),
        expected_by=date(2026, 11, 13),
        promised_at=datetime(2026, 11, 9, 8, tzinfo=UTC),
        promise=said,
    )
    [row] = rows(acme(invoices=(promised,), nudges=(REMINDED,)), now)
    assert (row["expected_by"], row["promise"]) == ("2026-11-13", said)
    assert row["note"] == "Acme: 'I'll pay on Friday.' → expected by Fri 13 Nov"
    assert row["next_step"]["template"] == "promise_reminder"
    [paid] = rows(acme(invoices=(replace(promised, paid=True),)), now)
    assert (paid["expected_by"], paid["note"]) == (None, None)


def test_a_paused_invoice_has_no_next_step_and_says_since_when() -> None:
    paused = (REMINDED, replace(REMINDED, step=2, at=datetime(2026, 11, 12, 9, tzinfo=UTC)))
    [row] = rows(acme(invoices=(INV,), nudges=paused), datetime(2026, 11, 20, 10, tzinfo=UTC))
    assert (row["next_step"], row["paused_since"]) == (None, "2026-11-12T09:00:00Z")


def test_a_reply_since_the_due_date_is_a_note_until_paid() -> None:
    now = datetime(2026, 11, 10, 10, tzinfo=UTC)
    replied = replace(INV, replied_at=datetime(2026, 11, 9, 8, tzinfo=UTC))
    [row] = rows(acme(invoices=(replied,), nudges=(REMINDED,)), now)
    assert row["note"] == "Acme replied about INV-014 — check"
    assert row["replied_at"] == "2026-11-09T08:00:00Z"
    assert row["next_step"]["at"] == "2026-11-12T09:00:00Z"  # reminder + 7d, as reply + 3d
    [paid] = rows(acme(invoices=(replace(replied, paid=True),)), now)
    assert (paid["paid"], paid["note"], paid["next_step"]) == (True, None, None)


def test_deadline_rows() -> None:
    now = datetime(2026, 11, 3, 10, tzinfo=UTC)
    open_ = Deadline("deadline:logo", "logo", DUE)
    met = Deadline("deadline:copy", "copy", date(2026, 11, 1), met=True)
    client = acme(deadlines=(open_, met))
    found = views.deadline_rows(client, policy.decide(account(now), [client], now))
    assert [(r.what, r.met) for r in found] == [("copy", True), ("logo", False)]
    assert found[0].next_step is None
    assert found[1].to_json()["next_step"]["at"] == "2026-11-04T09:00:00Z"


# --- the status row and ``status --json`` ---------------------------------------------


def health(**kw: Any) -> HealthRow:
    base = HealthRow(
        account="studio",
        last_sync="2026-11-06T09:55:00Z",
        stale=False,
        last_error=None,
        last_error_at=None,
        watch_mode="idle",
        paused=False,
        unresolved_nudges=0,
        failed_nudges=0,
        lease_holder=None,
        lease_expires_at=None,
    )
    return replace(base, **kw)


def status_of(client: ClientState, now: datetime) -> StatusRow:
    return views.status_row(client, policy.decide(account(now), [client], now), now)


def test_status_json_has_the_documented_keys_in_order_and_json_values() -> None:
    now = datetime(2026, 11, 6, 10, tzinfo=UTC)
    client = acme(
        invoices=(INV,),
        nudges=(REMINDED,),
        last_inbound=datetime(2026, 10, 20, 8, tzinfo=UTC),
        bouncing=frozenset({"z@a.example", "b@a.example"}),
    )
    [element] = status_json([status_of(client, now)], [health()])
    assert list(element) == STATUS_KEYS
    assert list(element["account_health"]) == HEALTH_KEYS
    assert element["last_inbound"] == "2026-10-20T08:00:00Z"
    assert element["bouncing"] == ("b@a.example", "z@a.example")  # sorted; an array in JSON
    assert list(element["invoices"][0]) == [
        *("number", "amount", "due", "paid", "replied_at", "steps_sent", "next_step"),
        *("note", "paused_since", "expected_by", "promise"),
    ]
    text = json.dumps([element], ensure_ascii=False, indent=2)
    back = json.loads(text)[0]
    assert back["bouncing"] == ["b@a.example", "z@a.example"]
    assert back["invoices"][0]["next_step"]["at"] == "2026-11-12T09:00:00Z"
    assert back == json.loads(json.dumps(element))  # nothing but JSON values


def test_status_json_gives_each_row_its_accounts_health_or_null() -> None:
    now = datetime(2026, 11, 6, 10, tzinfo=UTC)
    ours = status_of(acme(), now)
    theirs = replace(ours, client="Beta", account="other")
    got = status_json([ours, theirs], [health(stale=True)])
    assert got[0]["account_health"] == health(stale=True).to_json()
    assert got[1]["account_health"] is None


def test_a_hold_has_no_end_day_in_the_row() -> None:
    now = datetime(2026, 11, 6, 10, tzinfo=UTC)
    held = status_of(acme(snoozed_until=HOLD_UNTIL), now).to_json()
    assert (held["snoozed_until"], held["held_until_resume"]) == (None, True)
    until = datetime(2026, 11, 20, tzinfo=UTC)
    snoozed = status_of(acme(snoozed_until=until), now).to_json()
    assert (snoozed["snoozed_until"], snoozed["held_until_resume"]) == (
        "2026-11-20T00:00:00Z",
        False,
    )


def test_the_next_action_is_the_earliest_pending_decision() -> None:
    now = datetime(2026, 11, 6, 10, tzinfo=UTC)
    row = status_of(acme(invoices=(INV,), nudges=(REMINDED,)), now)
    assert row.next_action is not None
    assert row.next_action.to_json() == {
        "kind": "work_paused",
        "at": "2026-11-12T09:00:00Z",
        "reason": row.next_action.reason,
    }
    assert row.invoices[0].next_step is not None
    assert row.invoices[0].next_step.at == row.next_action.at


def test_rows_render_as_the_table_and_the_health_line() -> None:
    now = datetime(2026, 11, 6, 10, tzinfo=UTC)
    row = status_of(acme(invoices=(INV,), nudges=(REMINDED,)), now)
    lines = format_table([row]).splitlines()
    assert lines[0].split()[:2] == ["CLIENT", "STATE"]
    assert lines[1].startswith("Acme")
    assert lines[1].endswith("work-paused notice on Thu 12 Nov 09:00")  # a label, no id
    assert lines[-1] == "Times in UTC."
    assert format_health(health(paused=True, failed_nudges=2)) == (
        "account studio: last read Fri 6 Nov 09:55; sending paused; watching by idle; "
        "2 failed nudge(s)"
    )
