"""What ``status`` predicts is when the nudge goes: the decision's ``at`` comes from the
same function that schedules the send, so deciding again at that instant sends it, on
DST-change days too (policy rule 4, calendar.next_slot)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ghostwatch.core.domain import Action
from tests.unit.core.test_policy import RULES, THREAD, client, decide

HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("zone", "week_of"),
    [
        ("America/New_York", datetime(2026, 10, 29, tzinfo=UTC)),  # DST ends Sun 1 Nov
        ("Europe/Berlin", datetime(2026, 3, 26, tzinfo=UTC)),  # DST starts Sun 29 Mar
        ("Europe/Berlin", datetime(2026, 10, 22, tzinfo=UTC)),  # DST ends Sun 25 Oct
    ],
)
def test_the_predicted_instant_is_the_instant_it_is_sent(zone: str, week_of: datetime) -> None:
    rules = replace(RULES, timezone=zone)
    sent = week_of - timedelta(days=7)  # the check-in falls due in the DST week
    c = client(rules=rules, thread=replace(THREAD, sent_at=sent), last_outbound=sent)
    now = week_of - timedelta(days=1)
    checked = 0
    while now < week_of + timedelta(days=6):
        [d] = decide(c, now)
        if d.action is Action.WAIT:
            [then] = decide(c, d.at)
            assert then.action is Action.SEND, (now, d.at, then.reason)
            [before] = decide(c, d.at - timedelta(seconds=1))
            assert before.action is Action.WAIT, (now, d.at)
            checked += 1
        now += HOUR
    assert checked > 24
