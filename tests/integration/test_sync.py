"""The mailbox watcher against a real Dovecot: who owes whom, read-only, incremental."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ghostwatch.adapters.imap import ImapMailbox
from ghostwatch.adapters.imap_session import ImapEndpoint
from ghostwatch.app.sync import sync_account
from ghostwatch.app.sync_context import SyncContext
from ghostwatch.core.domain import ClientMatcher, FolderRole
from ghostwatch.store.database import Store
from tests.support.scenario import ACCOUNT, Scenario, client_toml, dsn, mail

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday
NOW = T0 + timedelta(days=1)
ACME = client_toml("Acme Ltd", ["jane@acme.example"], ["acme.example"])


def ours(
    imap: Any,
    *,
    at: datetime = T0,
    to: str = "jane@acme.example",
    mid: str = "<m1@studio>",
    subject: str = "Logo drafts",
) -> None:
    imap.append("Sent", mail(ACCOUNT, to, subject, message_id=mid, date=at), internal_date=at)


def theirs(
    imap: Any,
    *,
    at: datetime,
    frm: str = "Jane <jane@acme.example>",
    mid: str = "<r1@acme>",
    subject: str = "Re: Logo drafts",
    headers: dict[str, str] | None = None,
    body: str = "Looks great!\n",
) -> None:
    raw = mail(
        frm,
        ACCOUNT,
        subject,
        message_id=mid,
        date=at,
        in_reply_to="<m1@studio>",
        headers=headers,
        body=body,
    )
    imap.append("INBOX", raw, internal_date=at)


def stored(scenario: Scenario, columns: str) -> list[tuple[Any, ...]]:
    with scenario.db() as db:
        return db.execute(f"SELECT {columns} FROM message ORDER BY id").fetchall()  # noqa: S608


def test_our_message_in_sent_puts_the_ball_in_the_clients_court(
    scenario: Scenario, imap_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    ours(imap_server)
    assert scenario.once(NOW) == 0
    row = scenario.row(NOW, capsys, "Acme Ltd")
    assert row["waiting_on"] == "client"
    assert row["state"] == "waiting"
    assert row["last_outbound"] == "2026-11-02T10:00:00Z"
    assert row["next_action"]["kind"] == "check_in"


def test_a_client_reply_puts_the_ball_in_your_court(
    scenario: Scenario, imap_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    ours(imap_server)
    theirs(imap_server, at=T0 + timedelta(hours=3))
    assert scenario.once(NOW) == 0
    row = scenario.row(NOW, capsys, "Acme Ltd")
    assert row["waiting_on"] == "you"
    assert row["last_inbound"] == "2026-11-02T13:00:00Z"
    assert row["next_action"] is None


def test_a_colleague_at_the_clients_domain_counts(
    scenario: Scenario, imap_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    ours(imap_server)
    theirs(imap_server, at=T0 + timedelta(hours=3), frm="Bob <Bob.Smith@ACME.example>")
    assert scenario.once(NOW) == 0
    assert scenario.row(NOW, capsys, "Acme Ltd")["waiting_on"] == "you"


def test_unknown_senders_are_ignored(scenario: Scenario, imap_server: Any, capsys: Any) -> None:
    scenario.clients = ACME
    ours(imap_server)
    theirs(imap_server, at=T0 + timedelta(hours=3), frm="Spam <offers@elsewhere.example>")
    assert scenario.once(NOW) == 0
    row = scenario.row(NOW, capsys, "Acme Ltd")
    assert row["waiting_on"] == "client"
    assert row["last_inbound"] is None
    # and ghostwatch keeps no record of mail that concerns no client
    assert stored(scenario, "message_id, from_addr") == [("<m1@studio>", ACCOUNT)]


def test_out_of_office_is_not_contact_and_makes_the_client_away(
    scenario: Scenario, imap_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    ours(imap_server)
    theirs(
        imap_server,
        at=T0 + timedelta(minutes=5),
        subject="Out of Office: Logo drafts",
        headers={"Auto-Submitted": "auto-replied"},
        body="I am out of the office until 20 November 2026 with limited access to email.\n",
    )
    assert scenario.once(NOW) == 0
    row = scenario.row(NOW, capsys, "Acme Ltd")
    assert row["waiting_on"] == "client"
    assert row["last_inbound"] is None
    assert row["state"] == "away"
    assert row["away_until"] == "2026-11-21T00:00:00Z"
    # the check-in waits until after the return date (Fri 20 Nov: back Monday 23) and two
    # business days of grace, in the next window
    assert row["next_action"]["at"] == "2026-11-25T09:00:00Z"


def test_exchange_style_auto_reply_with_only_subject_and_rules_loop(
    scenario: Scenario, imap_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    ours(imap_server)
    theirs(
        imap_server,
        at=T0 + timedelta(minutes=5),
        subject="Automatic reply: Logo drafts",
        headers={
            "Return-Path": "<>",
            "X-MS-Exchange-Inbox-Rules-Loop": "jane@acme.example",
        },
        body="Thank you for your email. I am on leave until 2026-11-16.\n",
    )
    assert scenario.once(NOW) == 0
    row = scenario.row(NOW, capsys, "Acme Ltd")
    assert row["last_inbound"] is None
    assert row["state"] == "away"
    assert row["away_until"] == "2026-11-17T00:00:00Z"


def test_a_dsn_is_not_contact_and_marks_the_address_bouncing(
    scenario: Scenario, imap_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    ours(imap_server)
    raw = dsn(
        ACCOUNT,
        "jane@acme.example",
        message_id="<dsn1@mx>",
        date=T0 + timedelta(minutes=1),
        original_id="<m1@studio>",
    )
    imap_server.append("INBOX", raw, internal_date=T0 + timedelta(minutes=1))
    assert scenario.once(NOW) == 0
    row = scenario.row(NOW, capsys, "Acme Ltd")
    assert row["last_inbound"] is None
    assert row["state"] == "bouncing"
    assert row["bouncing"] == ["jane@acme.example"]


def test_georgian_subject_and_sender_name_survive(
    scenario: Scenario, imap_server: Any, capsys: Any
) -> None:
    scenario.clients = client_toml("ნინო სტუდია", ["gela@example.ge"])
    subject = "ლოგოს ესკიზები — საბოლოო ვერსია"
    ours(imap_server, to="gela@example.ge", subject=subject)
    theirs(
        imap_server,
        at=T0 + timedelta(hours=1),
        frm="გელა ხარაძე <gela@example.ge>",
        subject=f"Re: {subject}",
    )
    assert scenario.once(NOW) == 0
    assert scenario.row(NOW, capsys, "ნინო სტუდია")["waiting_on"] == "you"
    rows = stored(scenario, "subject, from_name")
    subjects = {subject for subject, _ in rows}
    names = {name for _, name in rows}
    assert subject in subjects
    assert f"Re: {subject}" in subjects
    assert "გელა ხარაძე" in names


def test_sync_never_changes_mailbox_flags(scenario: Scenario, imap_server: Any) -> None:
    scenario.clients = ACME
    ours(imap_server)
    theirs(imap_server, at=T0 + timedelta(hours=3))
    before = {f: imap_server.flags(f) for f in ("INBOX", "Sent")}
    assert scenario.once(NOW) == 0
    assert {f: imap_server.flags(f) for f in ("INBOX", "Sent")} == before
    assert all(b"\\Seen" not in flags for flags in before["INBOX"].values())


def test_uidvalidity_change_counts_nothing_twice(
    scenario: Scenario, imap_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    ours(imap_server)
    theirs(imap_server, at=T0 + timedelta(hours=3))
    assert scenario.once(NOW) == 0
    imap_server.change_uidvalidity("INBOX")
    assert scenario.once(NOW + timedelta(minutes=5)) == 0
    ids = [mid for (mid,) in stored(scenario, "message_id")]
    assert sorted(ids) == ["<m1@studio>", "<r1@acme>"]
    assert scenario.row(NOW, capsys, "Acme Ltd")["waiting_on"] == "you"


def test_a_second_sync_with_no_new_mail_fetches_no_message_data(
    scenario: Scenario, imap_server: Any
) -> None:
    import asyncio

    from ghostwatch.adapters.imap import ImapMailbox
    from ghostwatch.app.bootstrap import App
    from ghostwatch.config.loader import load_config

    calls: list[str] = []

    class CountingMailbox(ImapMailbox):
        """The real adapter on the real server, recording which commands it used."""

        async def status(self, folder: str) -> Any:
            calls.append(f"status {folder}")
            return await super().status(folder)

        async def examine(self, folder: str) -> Any:
            calls.append(f"examine {folder}")
            return await super().examine(folder)

        async def fetch_body(self, uid: int, *, max_bytes: int = 256_000) -> bytes:
            calls.append("fetch_body")
            return await super().fetch_body(uid, max_bytes=max_bytes)

        def fetch_headers(self, uids: Any, fields: Any, *, batch: int = 1000) -> Any:
            calls.append(f"fetch_headers {len(uids)}")
            return super().fetch_headers(uids, fields, batch=batch)

    scenario.clients = ACME
    ours(imap_server)
    theirs(imap_server, at=T0 + timedelta(hours=3))
    # the recording adapter goes in through the composition root's factory
    app = App.open(load_config(scenario.write()), mailbox_factory=CountingMailbox)
    try:
        first = asyncio.run(app.cycle(NOW, dry_run=True))
        assert first.accounts[0].sync is not None
        assert first.accounts[0].sync.stored == 2
        calls.clear()
        second = asyncio.run(app.cycle(NOW + timedelta(minutes=1), dry_run=True))
    finally:
        app.close()
    assert second.ok
    assert calls == ["status INBOX", "status Sent"]


def test_a_client_added_later_gets_their_history(
    scenario: Scenario, imap_server: Any, capsys: Any
) -> None:
    """Only client mail is stored, so adding a client re-reads the initial_scan window
    for them: their history counts at once and nothing is counted twice."""
    scenario.clients = ACME
    ours(imap_server)
    globex_mail(imap_server)
    assert scenario.once(NOW) == 0
    assert [mid for (mid,) in stored(scenario, "message_id")] == ["<m1@studio>"]

    scenario.clients = ACME + client_toml("Globex", [], ["globex.example"])
    assert scenario.once(NOW + timedelta(minutes=5)) == 0
    row = scenario.row(NOW, capsys, "Globex")
    assert row["waiting_on"] == "you"
    assert row["last_inbound"] == "2026-11-02T12:00:00Z"
    ids = [mid for (mid,) in stored(scenario, "message_id")]
    assert sorted(ids) == ["<g1@studio>", "<g2@x>", "<m1@studio>"]


ACME_DOMAIN = ClientMatcher("Acme Ltd", frozenset(), frozenset({"acme.example"}))
GLOBEX_DOMAIN = ClientMatcher("Globex", frozenset(), frozenset({"globex.example"}))


def endpoint(imap_server: Any) -> ImapEndpoint:
    return ImapEndpoint(
        host=imap_server.host, port=imap_server.port, security="none",
        username=imap_server.user, password=lambda: imap_server.password,
    )  # fmt: skip


def globex_mail(imap_server: Any) -> None:
    ours(imap_server, to="bob@globex.example", mid="<g1@studio>")
    theirs(imap_server, at=T0 + timedelta(hours=2), frm="Bob <bob@globex.example>", mid="<g2@x>")


async def test_a_change_of_clients_is_read_for_once(imap_server: Any, tmp_path: Path) -> None:
    """The re-read after a change of clients happens once; the next sync is the
    usual STATUS-only one."""
    ours(imap_server)
    globex_mail(imap_server)
    first = SyncContext(ACCOUNT, frozenset({ACCOUNT}), (ACME_DOMAIN,), timedelta(days=90), NOW)
    folders = {FolderRole.INBOX: "INBOX", FolderRole.SENT: "Sent"}
    with Store.open(f"sqlite:///{tmp_path}/gw.db") as store:
        async with ImapMailbox(endpoint(imap_server)) as mailbox:
            reports = [await sync_account(mailbox, store, first, folders)]
            both = (ACME_DOMAIN, GLOBEX_DOMAIN)
            for minutes in (5, 10):
                ctx = replace(first, matchers=both, now=NOW + timedelta(minutes=minutes))
                reports.append(await sync_account(mailbox, store, ctx, folders))
    rescanned = [[f.rescanned for f in r.folders] for r in reports]
    fetched = [[f.fetched for f in r.folders] for r in reports]
    assert rescanned == [[False, False], [True, True], [False, False]]
    assert fetched == [[1, 2], [1, 2], [0, 0]]
    assert [r.stored for r in reports] == [1, 2, 0]


async def test_a_cursor_from_before_clients_key_adopts_the_clients(
    imap_server: Any, tmp_path: Path
) -> None:
    """A database upgraded to 0003 has cursors without clients_key: they take the
    current clients without a re-read."""
    ours(imap_server)
    ctx = SyncContext(ACCOUNT, frozenset({ACCOUNT}), (ACME_DOMAIN,), timedelta(days=90), NOW)
    with Store.open(f"sqlite:///{tmp_path}/gw.db") as store:
        async with ImapMailbox(endpoint(imap_server)) as mailbox:
            await sync_account(mailbox, store, ctx, {FolderRole.SENT: "Sent"})
            old = store.get_cursor(ACCOUNT, "Sent")
            assert old is not None and old.clients_key == ctx.clients_key
            store.save_cursor(ACCOUNT, "Sent", role=old.role, uidvalidity=old.uidvalidity,
                              last_uid=old.last_uid, last_sync_at=NOW)  # fmt: skip
            later = replace(ctx, now=NOW + timedelta(minutes=5))
            report = await sync_account(mailbox, store, later, {FolderRole.SENT: "Sent"})
            adopted = store.get_cursor(ACCOUNT, "Sent")
    assert [(f.rescanned, f.fetched) for f in report.folders] == [(False, 0)]
    assert adopted is not None and adopted.clients_key == ctx.clients_key
