"""A refused login in the daily summary: said in the summary's language, with the
server's own words kept as they came (ghostwatch.adapters.auth_backoff, summary._refused_note)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ghostwatch.app.bootstrap import App
from ghostwatch.app.summary_collect import collect
from ghostwatch.config.loader import load_config
from ghostwatch.core.summary.facts import HealthInfo, LoginRefusedInfo, SummaryData
from ghostwatch.core.summary.render import build_summary
from ghostwatch.core.summary.rows import view
from ghostwatch.errors import MailboxAuthError

ROOT = Path(__file__).parents[3]
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 08:00 in Tbilisi
SAID = "[AUTHENTICATIONFAILED] Authentication failed."
REFUSED = LoginRefusedInfo(
    "imap", NOW - timedelta(minutes=12), NOW + timedelta(minutes=3), "app_password",
    (("provider", "Gmail"),), SAID,
)  # fmt: skip
HEALTH = HealthInfo(
    "studio", NOW - timedelta(hours=3), error="login refused since 07:48 …", error_at=NOW,
    refused=(REFUSED,),
)  # fmt: skip


def _notes(language: str) -> list[str]:
    data = SummaryData(account="studio", timezone="Asia/Tbilisi", health=(HEALTH,))
    return [n["text"] for n in view(replace(data, language=language), NOW)["health"][0]["notes"]]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "IMAP login refused since"),
        ("ka", "სერვერმა შესვლა უარყო"),
        ("th", "เซิร์ฟเวอร์ปฏิเสธการเข้าสู่ระบบ"),
    ],
)
def test_a_refused_login_is_said_in_the_summary_language(language: str, words: str) -> None:
    notes = _notes(language)
    assert len(notes) == 1, notes  # the refusal replaces the stored English error line
    assert words in notes[0] and "Gmail" in notes[0] and notes[0].endswith(f"({SAID})")
    assert "07:48" in notes[0] and "08:03" in notes[0]  # since, next try: local times
    if language != "en":
        assert "login refused" not in notes[0] and "check the password" not in notes[0]


def test_the_daemon_summary_names_the_refusal_its_login_gate_recorded(tmp_path: Path) -> None:
    """Through the composition root: a refusal the App's login gate saw reaches the
    summary that App builds, in the summary account's language."""
    text = (ROOT / "config.example.toml").read_text()
    default = 'url = "sqlite:///~/.local/state/ghostwatch/ghostwatch.db"'
    path = tmp_path / "config.toml"
    path.write_text(text.replace(default, f'url = "sqlite:///{tmp_path / "gw.db"}"'))
    app = App.open(load_config(path), clock=lambda: NOW - timedelta(minutes=12))
    try:
        account = app.config.summary_account()
        gate = app.logins.gate(
            account.name, "imap", retry=timedelta(minutes=15), zone=account.timezone
        )

        async def refuse() -> None:
            raise MailboxAuthError(f"IMAP imap.example.com:993: login refused: {SAID}")

        with pytest.raises(MailboxAuthError):
            asyncio.run(gate.login(refuse))
        data = replace(collect(app, NOW), language="ka")
    finally:
        app.close()
    health = next(h for h in data.health if h.account == account.name)
    assert [r.protocol for r in health.refused] == ["imap"]
    summary = build_summary(data, NOW)
    assert "სერვერმა შესვლა უარყო" in summary.text and SAID in summary.text
