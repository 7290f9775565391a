"""The ``ghostwatch`` argument tree: every command, option and help text (docs/cli.md).

One small builder per group of commands; ``build_parser`` adds them in the order
``--help`` and the man page list them. Nothing here runs a command (``cli.entry``
maps each command to its handler), so ``completion`` and ``tools.manpage`` can build
the tree without importing a handler.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, date, datetime

from ghostwatch import __version__

__all__ = ["build_parser"]

# (name, help) -> the command's parser; its description is its help
Cmd = Callable[[str, str], argparse.ArgumentParser]

_CLIENT = "the client's name (case-insensitive)"


def _instant(text: str) -> datetime:
    """Parse ``--now``: ISO-8601; a naive value is taken as UTC."""
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 instant: {text!r}") from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The whole tree: global options, then the commands group by group."""
    p = argparse.ArgumentParser(
        prog="ghostwatch",
        description="Watch your mailbox and politely follow up with clients who went silent.",
        epilog="Config lookup: --config, $GHOSTWATCH_CONFIG, "
        "$XDG_CONFIG_HOME/ghostwatch/config.toml. Exit status: 0 ok, 1 failed, 2 bad usage.",
    )
    p.add_argument("--version", action="version", version=f"ghostwatch {__version__}")
    p.add_argument("--config", metavar="FILE", help="configuration file (TOML)")
    p.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="least severe log events shown, on standard error (default: warning)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def cmd(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_)

    _add_cycle_commands(cmd)
    _add_evidence_commands(cmd)
    _add_client_commands(cmd)
    _add_setup_commands(cmd)
    return p


def _now_opt(q: argparse.ArgumentParser) -> None:
    q.add_argument(
        "--now",
        type=_instant,
        metavar="T",
        help="act as if it were this instant (ISO-8601; UTC if no offset)",
    )


def _client_arg(q: argparse.ArgumentParser) -> None:
    q.add_argument("client", metavar="CLIENT", help=_CLIENT)


def _add_cycle_commands(cmd: Cmd) -> None:
    """``check-config``, ``run``, ``once``, ``status``, ``summary``."""
    q = cmd("check-config", "validate the configuration and templates; list every problem")
    q.add_argument(
        "--show-templates",
        action="store_true",
        help="also print the first lines of every template the ladders name, rendered with "
        "sample values, per language (docs/templates.md lists the variables)",
    )
    q.add_argument(
        "--online",
        action="store_true",
        help="also read every password or token, log in to each IMAP and SMTP server and find "
        "the Sent and Drafts folders; one line per check (nothing is sent); exit 1 if one fails",
    )
    q = cmd("run", "the daemon: watch every account (IDLE/poll), send due nudges, daily summary")
    q.add_argument(
        "--now",
        type=_instant,
        metavar="T",
        help="start the clock at this instant, then let it run (for trying rules)",
    )
    q = cmd("once", "one full cycle (sync, decide, send, summary if due), then exit")
    _now_opt(q)
    q.add_argument("--dry-run", action="store_true", help="send nothing; list what would go out")
    q = cmd("status", "one row per client: who owes whom, state, next action")
    q.add_argument("--json", action="store_true", help="print a JSON array")
    q.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if any account is stale, failing or paused (for cron and monitors)",
    )
    _now_opt(q)
    q = cmd("summary", "build the daily summary; send it or write it as HTML")
    _now_opt(q)
    g = q.add_mutually_exclusive_group(required=True)
    g.add_argument("--send", action="store_true", help="email it to [summary].to")
    g.add_argument("--out", metavar="FILE", help="write the HTML to FILE")


def _add_evidence_commands(cmd: Cmd) -> None:
    """``history`` and ``export``."""
    q = cmd("history", "every contact and nudge with one client (the evidence)")
    _client_arg(q)
    q.add_argument("--json", action="store_true", help="print a JSON array")
    q = cmd("export", "the evidence log of all clients")
    q.add_argument(
        "--format", choices=["csv", "json"], default="csv", help="output format (default: csv)"
    )
    q.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")


def _add_client_commands(cmd: Cmd) -> None:
    """The commands that act on one client or account, as the same commands by mail do."""
    q = cmd("snooze", "pause nudges for one client until a date")
    _client_arg(q)
    q.add_argument(
        "--until",
        type=_day,
        required=True,
        metavar="DATE",
        help="resume on this day (YYYY-MM-DD, the client's time zone)",
    )
    _now_opt(q)
    _client_arg(q := cmd("resume", "resume nudges for a snoozed client"))
    _now_opt(q)
    for name, help_ in (
        ("pause", "stop all sending (syncing continues)"),
        ("unpause", "restart sending after pause"),
    ):
        q = cmd(name, help_)
        q.add_argument("--account", help="only this account (default: all)")
        _now_opt(q)
    _client_arg(q := cmd("paid", "mark an invoice paid"))
    q.add_argument("invoice", metavar="INVOICE", help="the invoice's number, as configured")
    _now_opt(q)
    _add_expect(cmd)
    for name, help_ in (
        ("hold", "hold nudges for one client until you resume it"),
        ("skip", "skip one client's next nudge; the same step comes again one interval later"),
        (
            "send-now",
            "let one client's next nudge go out at the next cycle although the send window is "
            "closed; it must be due, and min_gap, replies and every other rule still hold",
        ),
    ):
        _client_arg(q := cmd(name, help_))
        _now_opt(q)


def _add_expect(cmd: Cmd) -> None:
    q = cmd("expect", "set or correct the day a client promised to pay an invoice or deliver by")
    _client_arg(q)
    q.add_argument(
        "invoice",
        metavar="INVOICE|DEADLINE",
        help="an invoice's number, or a deadline's what (a word of it will do; "
        "deadline:WHAT when it is also an invoice number)",
    )
    g = q.add_mutually_exclusive_group(required=True)
    g.add_argument(
        "--by", type=_day, metavar="DATE", help="the promised day (YYYY-MM-DD, client's zone)"
    )
    g.add_argument("--clear", action="store_true", help="no promise: the usual deferral applies")
    _now_opt(q)


def _add_setup_commands(cmd: Cmd) -> None:
    """``demo``, ``init`` and ``completion``."""
    q = cmd("demo", "run the whole flow on a throwaway local mailbox; no account needed")
    q.add_argument("--out", metavar="DIR", help="where to leave the nudges and summary")
    _add_init(cmd)
    q = cmd("completion", "print a shell completion script (bash: source it; zsh: put it on fpath)")
    q.add_argument("shell", choices=["bash", "zsh", "tcsh"], help="the shell to complete for")


def _add_init(cmd: Cmd) -> None:
    from ghostwatch.config.providers import PROVIDER_KEYS

    q = cmd(
        "init",
        "write a commented starter config (asks on a terminal), or print the systemd unit",
    )
    q.add_argument("--address", metavar="EMAIL", help="your email address (the account's)")
    q.add_argument(
        "--provider",
        choices=PROVIDER_KEYS,
        help="server preset (default: guessed from the address, else generic)",
    )
    q.add_argument("--timezone", metavar="ZONE", help="IANA time zone (default: this machine's)")
    q.add_argument("--language", metavar="LANG", help="summary language: en, ka, th (default en)")
    q.add_argument(
        "--password-command",
        metavar="CMD",
        help="read the password from this command (e.g. 'pass show mail') instead of a file",
    )
    q.add_argument(
        "--out",
        metavar="FILE",
        help="where to write the config (default: $XDG_CONFIG_HOME/ghostwatch/config.toml); "
        "with --systemd: the config the unit runs with",
    )
    q.add_argument("--force", action="store_true", help="replace an existing config file")
    q.add_argument(
        "--systemd",
        choices=["system", "user"],
        help="print the systemd unit for this installation's executable; with --address, "
        "also write the config for it (system: /etc/ghostwatch, passwords as credentials)",
    )
    q.add_argument(
        "--install", action="store_true", help="with --systemd: write the unit instead of printing"
    )
    q.add_argument(
        "--unit-dir",
        metavar="DIR",
        help="with --install: the folder to write ghostwatch.service to "
        "(default: /etc/systemd/system or ~/.config/systemd/user)",
    )
