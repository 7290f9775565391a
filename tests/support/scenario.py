"""A realistic ghostwatch setup against the test servers: config file, database, CLI.

``Scenario`` writes a real TOML config that points at the loopback Dovecot and
aiosmtpd, and runs the real command line in-process (``cli.main``) or as a separate
process (for kill tests). Time is driven by ``--now``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from ghostwatch.cli import entry as cli

ACCOUNT = "me@studio.example"


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


@dataclass
class Scenario:
    """One account (the Dovecot user) and some clients, in a temporary directory."""

    directory: Path
    imap_host: str
    imap_port: int
    imap_user: str
    smtp_port: int
    clients: str = ""  # extra TOML appended verbatim ([[clients]] tables)
    rules: str = ""  # TOML lines for [rules]
    account_extra: str = ""  # TOML lines for [[accounts]]
    runs: list[tuple[list[str], int, str]] = field(default_factory=list)
    database_url: str = ""  # "" = a SQLite file in ``directory``
    database_extra: str = ""  # TOML lines for [database]

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.directory / 'gw.db'}"

    @property
    def config_path(self) -> Path:
        return self.directory / "config.toml"

    def write(self) -> Path:
        body = f"""
        [database]
        url = "{self.url}"
        {self.database_extra}

        [[accounts]]
        name = "studio"
        address = "{ACCOUNT}"
        display_name = "Nino Beridze"
        timezone = "UTC"
        {self.account_extra}

        [accounts.imap]
        host = "{self.imap_host}"
        port = {self.imap_port}
        security = "none"
        username = "{self.imap_user}"
        password = "secret"

        [accounts.smtp]
        host = "127.0.0.1"
        port = {self.smtp_port}
        security = "none"
        username = ""

        [rules]
        send_window = "09:00-17:00"
        {self.rules}

        [summary]
        to = "{ACCOUNT}"
        """
        text = textwrap.dedent(body) + "\n" + textwrap.dedent(self.clients)
        self.config_path.write_text(text, encoding="utf-8")
        return self.config_path

    def db(self) -> ScenarioDB:
        """The scenario's database, as ``with scenario.db() as db: db.execute(...)``."""
        return ScenarioDB(self.url)

    def argv(self, *args: str) -> list[str]:
        return ["--config", str(self.write()), *args]

    def run(self, *args: str, capsys: Any = None) -> int:
        """Run the CLI in-process; return its exit status."""
        code = cli.main(self.argv(*args))
        out = capsys.readouterr().out if capsys is not None else ""
        self.runs.append((list(args), code, out))
        return code

    def once(self, now: datetime, *extra: str) -> int:
        return self.run("once", "--now", iso(now), *extra)

    def status(self, now: datetime, capsys: Any) -> list[dict[str, Any]]:
        capsys.readouterr()
        assert cli.main(self.argv("status", "--json", "--now", iso(now))) == 0
        rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
        return rows

    def row(self, now: datetime, capsys: Any, client: str) -> dict[str, Any]:
        return next(r for r in self.status(now, capsys) if r["client"] == client)

    def subprocess(self, args: Sequence[str]) -> subprocess.Popen[bytes]:
        """Start the real ``ghostwatch`` command as a separate process."""
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        return subprocess.Popen(
            [sys.executable, "-m", "ghostwatch", *self.argv(*args)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )


class ScenarioDB:
    """sqlite3-shaped access to the scenario's database on either store: ``execute``
    with ``?`` placeholders, rows as tuples, values as SQLite stores them (datetimes
    as "YYYY-MM-DD HH:MM:SS.ffffff" UTC text, booleans as 0/1), so one assertion
    holds on both stores."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self._engine = sa.create_engine(url)

    def __enter__(self) -> ScenarioDB:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._engine.dispose()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Rows:
        import sqlalchemy as sa

        parts = sql.split("?")
        text = parts[0] + "".join(f":p{i}{part}" for i, part in enumerate(parts[1:]))
        with self._engine.begin() as connection:
            result = connection.execute(sa.text(text), {f"p{i}": v for i, v in enumerate(params)})
            rows = list(result) if result.returns_rows else []
        return _Rows(tuple(_as_sqlite(v) for v in row) for row in rows)


class _Rows(list[tuple[Any, ...]]):
    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self[0] if self else None


def _as_sqlite(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def client_toml(name: str, emails: Sequence[str], domains: Sequence[str] = (), **extra: str) -> str:
    lines = [
        "[[clients]]",
        f"name = {json.dumps(name, ensure_ascii=False)}",
        f"emails = {json.dumps(list(emails))}",
        f"domains = {json.dumps(list(domains))}",
    ]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def mail(
    from_: str,
    to: str,
    subject: str,
    *,
    message_id: str,
    date: datetime,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    body: str = "Hello,\n\nthanks for the update.\n",
) -> bytes:
    """Return a realistic RFC 5322 message (UTF-8 capable, RFC 2047 headers)."""
    from email.message import EmailMessage
    from email.utils import format_datetime

    msg = EmailMessage()
    msg["From"] = from_
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def dsn(to: str, failed: str, *, message_id: str, date: datetime, original_id: str) -> bytes:
    """Return an RFC 3464 delivery status notification reporting a hard bounce."""
    from email.utils import format_datetime

    boundary = "dsn-boundary-42"
    text = f"""\
From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>
To: {to}
Subject: Undelivered Mail Returned to Sender
Date: {format_datetime(date)}
Message-ID: {message_id}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"

--{boundary}
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.acme.example.
I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{failed}>: host mx.acme.example said: 550 5.1.1 User unknown

--{boundary}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.acme.example
Arrival-Date: {format_datetime(date)}

Final-Recipient: rfc822; {failed}
Original-Recipient: rfc822;{failed}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{failed}>: Recipient address rejected: User unknown

--{boundary}
Content-Type: text/rfc822-headers

From: {to}
To: {failed}
Subject: Logo drafts
Message-ID: {original_id}

--{boundary}--
"""
    return text.replace("\n", "\r\n").encode()


def received_nudges(smtp: Any) -> list[EmailMessage]:
    """The nudges an SMTP test server received, parsed (the daily summary, sent to
    ourselves, left out)."""
    return [
        message_from_bytes(m.raw, policy=policy.default)
        for m in smtp.messages
        if m.rcpt_tos != [ACCOUNT]
    ]
