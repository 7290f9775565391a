"""Security checks through the real command line and servers (docs/behaviour.md, rule 7).

Guards under test: ``render.sanitize_header`` (no header injection), the Jinja2
``SandboxedEnvironment`` and the template-name token rule (no escape, no traversal),
secret masking (``Secret``, masked URLs and messages), verified TLS by default, and
``store_engine.prepare_sqlite_file`` (0600 database, 0700 directory).
"""

from __future__ import annotations

import base64
import json
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ghostwatch.cli import entry as cli
from tests.proof.harness import smtp_log
from tests.support.scenario import ACCOUNT, Scenario, client_toml, iso, mail

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
DUE = T0 + timedelta(days=7)
ACME = client_toml("Acme Ltd", ["jane@acme.example"], ["acme.example"])
SMTP_SECRET = "Zq9-smtp-Pa55w0rd-7f3c"
IMAP_WRONG = "Xk4-imap-Wr0ng-91bd"


@dataclass
class Edited(Scenario):
    """A Scenario whose written config gets literal text replacements."""

    edits: tuple[tuple[str, str], ...] = ()

    def write(self) -> Path:
        path = super().write()
        text = path.read_text(encoding="utf-8")
        for old, new in self.edits:
            assert old in text, old
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
        return path


def edited(scenario: Scenario, *edits: tuple[str, str]) -> Edited:
    return Edited(
        scenario.directory, scenario.imap_host, scenario.imap_port, scenario.imap_user,
        scenario.smtp_port, scenario.clients, scenario.rules, scenario.account_extra,
        database_url=scenario.database_url, edits=edits,
    )  # fmt: skip


def run(scenario: Scenario, capsys: Any, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(scenario.argv(*args))
    out, err = capsys.readouterr()
    return code, out, err


def start_thread(imap: Any, subject: str = "Logo drafts") -> None:
    raw = mail(ACCOUNT, "jane@acme.example", subject, message_id="<m1@studio>", date=T0)
    imap.append("Sent", raw, internal_date=T0)


# --- header injection -------------------------------------------------------------------

HOSTILE = [
    "Logo\r\nBcc: evil@evil.example\r\nX-Injected: yes",
    "Logo\nX-Injected: yes",
    "Logo\u2028X-Injected: yes\u2029Bcc: evil@evil.example",
    "Logo\rX-Injected: yes\x00",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_no_header_injection_through_subject_or_display_names(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any, hostile: str
) -> None:
    encoded = "=?utf-8?b?" + base64.b64encode(hostile.encode()).decode() + "?="
    raw = mail(ACCOUNT, "jane@acme.example", "x", message_id="<m1@studio>", date=T0)
    raw = raw.replace(b"Subject: x", b"Subject: " + encoded.encode())
    imap_server.append("Sent", raw, internal_date=T0)
    toml = json.dumps(hostile)  # a TOML basic string with the same escapes
    scenario.clients = client_toml(toml[1:-1], ["jane@acme.example"])
    s = edited(scenario, ('display_name = "Nino Beridze"', f"display_name = {toml}"))
    code, out, err = run(s, capsys, "once", "--now", iso(DUE))
    assert code == 0, (out, err)
    [received] = [m for m in smtp_server.messages if m.rcpt_tos != [ACCOUNT]]
    assert received.rcpt_tos == ["jane@acme.example"]
    assert received.message["X-Injected"] is None
    assert received.message["Bcc"] is None
    head = received.raw.split(b"\r\n\r\n", 1)[0]
    names = [line.split(b":", 1)[0].lower() for line in head.split(b"\r\n") if line[:1] != b" "]
    assert b"x-injected" not in names and b"bcc" not in names
    assert all(names.count(n) == 1 for n in (b"from", b"to", b"subject", b"message-id"))
    assert "Logo" in received.message["Subject"]


# --- templates --------------------------------------------------------------------------

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ client.__class__ }}",
    "{{ client._secret }}",
    "{{ (''|attr('__class__')).__base__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ 'x' * 1000000000 }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
]


@pytest.mark.parametrize("body", ESCAPES)
def test_sandbox_escapes_fail_at_check_config(
    scenario: Scenario, tmp_path: Path, capsys: Any, body: str
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "check_in.txt").write_text(f"Hello {{{{ client.first_name }}}},\n{body}\n")
    scenario.clients = ACME
    s = edited(scenario, ("[summary]", f'[templates]\ndir = "{templates}"\n\n[summary]'))
    code, out, err = run(s, capsys, "check-config")
    assert code == 2, (out, err)
    assert "check_in" in err
    assert "uid=" not in out + err and "<class" not in out + err


@pytest.mark.parametrize(
    ("template", "language"),
    [("../secret", "en"), ("..%2Fsecret", "en"), ("/etc/passwd", "en"), ("check_in", "../..")],
)
def test_template_names_cannot_walk_out_of_the_directory(
    scenario: Scenario, tmp_path: Path, capsys: Any, template: str, language: str
) -> None:
    templates = tmp_path / "templates"
    (templates / "en").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("TOP-SECRET-CONTENT {{ client.name }}\n")
    scenario.clients = ACME + f'language = "{language}"\n'
    scenario.rules = f'ladder = [ {{ after = "7d", template = "{template}" }} ]'
    s = edited(scenario, ("[summary]", f'[templates]\ndir = "{templates / "en"}"\n\n[summary]'))
    code, out, err = run(s, capsys, "check-config")
    assert code == 2, (out, err)
    assert "TOP-SECRET-CONTENT" not in out + err


# --- secrets ----------------------------------------------------------------------------


def _secret_scenario(scenario: Scenario, smtp_port: int, **env_edits: str) -> Edited:
    scenario.clients = ACME
    scenario.smtp_port = smtp_port
    return edited(
        scenario,
        ('username = ""', 'username = "mailer"\npassword_env = "GW_TEST_SMTP_PASSWORD"'),
        *env_edits.items(),
    )


def _leaks(scenario: Scenario, texts: list[str], secret: str) -> list[str]:
    found = [f"output {i}" for i, t in enumerate(texts) if secret in t]
    for path in scenario.directory.iterdir():
        # (config.toml holds a plain password by design; it is not output)
        if path.is_file() and path.name != "config.toml" and secret.encode() in path.read_bytes():
            found.append(path.name)
    if scenario.database_url:  # PostgreSQL: every row of every table, as text
        import sqlalchemy as sa

        engine = sa.create_engine(scenario.database_url)
        try:
            with engine.connect() as connection:
                for table in sa.inspect(connection).get_table_names():
                    rows = connection.execute(sa.text(f'SELECT * FROM "{table}"')).all()  # noqa: S608
                    if secret in repr(rows):
                        found.append(f"table {table}")
        finally:
            engine.dispose()
    return found


def test_secrets_never_in_logs_outputs_exports_or_the_database(
    scenario: Scenario,
    imap_server: Any,
    smtp_server_factory: Any,
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp = smtp_server_factory(username="mailer", password=SMTP_SECRET)
    monkeypatch.setenv("GW_TEST_SMTP_PASSWORD", SMTP_SECRET)
    start_thread(imap_server)
    s = _secret_scenario(scenario, smtp.port)
    texts: list[str] = []
    for args in (
        ("--log-level", "debug", "once", "--now", iso(DUE)),
        ("--log-level", "debug", "status", "--json", "--now", iso(DUE)),
        ("--log-level", "debug", "export", "--format", "json"),
        ("--log-level", "debug", "history", "Acme Ltd"),
    ):
        code, out, err = run(s, capsys, *args)
        texts += [out, err]
        if args[2] == "once":
            assert code == 0, (out, err)
            assert '"event"' in err  # JSON log lines really were captured
    assert len(smtp_log(smtp)) == 1
    assert not _leaks(s, texts, SMTP_SECRET)
    # a refused login: the error path must not echo the password either
    monkeypatch.setenv("GW_TEST_SMTP_PASSWORD", SMTP_SECRET + "-wrong")
    start_thread(imap_server, "Second")
    bad = edited(s, ('password = "secret"', f'password = "{IMAP_WRONG}"'))
    code, out, err = run(bad, capsys, "--log-level", "debug", "once", "--now", iso(DUE))
    assert code == 1
    assert "login refused" in out + err
    assert not _leaks(bad, [out, err], IMAP_WRONG)
    assert not _leaks(bad, [out, err], SMTP_SECRET)


# --- TLS --------------------------------------------------------------------------------


@pytest.mark.parametrize("with_ca", [False, True])
def test_tls_is_verified_by_default(
    scenario: Scenario,
    imap_server: Any,
    smtp_server: Any,
    dovecot_server: Any,
    capsys: Any,
    with_ca: bool,
) -> None:
    if dovecot_server.tls_port is None:
        pytest.skip("the rig's Dovecot has no TLS port (no openssl)")
    scenario.clients = ACME
    scenario.imap_port = dovecot_server.tls_port
    start_thread(imap_server)
    ca = f'\nca_file = "{dovecot_server.ca_file}"' if with_ca else ""
    s = edited(
        scenario, ('security = "none"\nusername = "user', f'security = "tls"{ca}\nusername = "user')
    )
    code, out, err = run(s, capsys, "once", "--now", iso(DUE))
    if with_ca:
        assert code == 0, (out, err)
        assert len(smtp_log(smtp_server)) == 1
    else:
        assert code == 1
        assert "CERTIFICATE_VERIFY_FAILED" in out
        assert smtp_log(smtp_server) == []


# --- file modes -------------------------------------------------------------------------


def test_database_file_0600_in_a_0700_directory(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    if scenario.database_url:
        pytest.skip("about the SQLite file; PostgreSQL's files are the server's")
    scenario.clients = ACME
    start_thread(imap_server)
    state = scenario.directory / "state" / "deeper"
    s = edited(
        scenario, (f'"sqlite:///{scenario.directory / "gw.db"}"', f'"sqlite:///{state / "gw.db"}"')
    )
    old = os.umask(0o022)
    try:
        code, out, err = run(s, capsys, "once", "--now", iso(DUE))
    finally:
        os.umask(old)
    assert code == 0, (out, err)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for path in state.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
