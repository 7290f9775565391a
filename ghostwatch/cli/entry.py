"""The ``ghostwatch`` command line: the only module that prints.

Exit status (docs/cli.md): 0 success; 1 ran but something failed (a mailbox could
not be read, a nudge failed); 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar
from zoneinfo import ZoneInfo

from ghostwatch import __version__
from ghostwatch.adapters import logs
from ghostwatch.cli.setup import SETUP_HANDLERS, add_setup_commands
from ghostwatch.cli.setup import status_exit as _status_exit
from ghostwatch.errors import ConfigError, GhostwatchError, cannot_write

if TYPE_CHECKING:
    from ghostwatch.app.bootstrap import App
    from ghostwatch.app.reports import CycleReport
    from ghostwatch.config.loader import ClientConfig, Config

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]


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

    def now_opt(q: argparse.ArgumentParser) -> None:
        q.add_argument(
            "--now",
            type=_instant,
            metavar="T",
            help="act as if it were this instant (ISO-8601; UTC if no offset)",
        )

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
    now_opt(q)
    q.add_argument("--dry-run", action="store_true", help="send nothing; list what would go out")
    q = cmd("status", "one row per client: who owes whom, state, next action")
    q.add_argument("--json", action="store_true", help="print a JSON array")
    q.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if any account is stale, failing or paused (for cron and monitors)",
    )
    now_opt(q)
    q = cmd("summary", "build the daily summary; send it or write it as HTML")
    now_opt(q)
    g = q.add_mutually_exclusive_group(required=True)
    g.add_argument("--send", action="store_true", help="email it to [summary].to")
    g.add_argument("--out", metavar="FILE", help="write the HTML to FILE")
    q = cmd("history", "every contact and nudge with one client (the evidence)")
    q.add_argument("client", metavar="CLIENT", help="the client's name (case-insensitive)")
    q.add_argument("--json", action="store_true", help="print a JSON array")
    q = cmd("export", "the evidence log of all clients")
    q.add_argument(
        "--format", choices=["csv", "json"], default="csv", help="output format (default: csv)"
    )
    q.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    q = cmd("snooze", "pause nudges for one client until a date")
    q.add_argument("client", metavar="CLIENT", help="the client's name (case-insensitive)")
    q.add_argument(
        "--until",
        type=_day,
        required=True,
        metavar="DATE",
        help="resume on this day (YYYY-MM-DD, the client's time zone)",
    )
    now_opt(q)
    q = cmd("resume", "resume nudges for a snoozed client")
    q.add_argument("client", metavar="CLIENT", help="the client's name (case-insensitive)")
    now_opt(q)
    q = cmd("pause", "stop all sending (syncing continues)")
    q.add_argument("--account", help="only this account (default: all)")
    now_opt(q)
    q = cmd("unpause", "restart sending after pause")
    q.add_argument("--account", help="only this account (default: all)")
    now_opt(q)
    q = cmd("paid", "mark an invoice paid")
    q.add_argument("client", metavar="CLIENT", help="the client's name (case-insensitive)")
    q.add_argument("invoice", metavar="INVOICE", help="the invoice's number, as configured")
    now_opt(q)
    q = cmd("expect", "set or correct the day a client promised to pay an invoice or deliver by")
    q.add_argument("client", metavar="CLIENT", help="the client's name (case-insensitive)")
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
    now_opt(q)
    q = cmd("hold", "hold nudges for one client until you resume it")
    q.add_argument("client", metavar="CLIENT", help="the client's name (case-insensitive)")
    now_opt(q)
    q = cmd("skip", "skip one client's next nudge; the same step comes again one interval later")
    q.add_argument("client", metavar="CLIENT", help="the client's name (case-insensitive)")
    now_opt(q)
    q = cmd(
        "send-now",
        "let one client's next nudge go out at the next cycle although the send window is "
        "closed; it must be due, and min_gap, replies and every other rule still hold",
    )
    q.add_argument("client", metavar="CLIENT", help="the client's name (case-insensitive)")
    now_opt(q)
    q = cmd("demo", "run the whole flow on a throwaway local mailbox; no account needed")
    q.add_argument("--out", metavar="DIR", help="where to leave the nudges and summary")
    add_setup_commands(cmd)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    logs.configure(level=args.log_level)
    handler = HANDLERS[args.command]
    try:
        return handler(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    except GhostwatchError as exc:
        print(f"ghostwatch: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


# --- helpers -------------------------------------------------------------------------


def _load(args: argparse.Namespace) -> Config:
    from ghostwatch.config.loader import find_config_path, load_config

    return load_config(find_config_path(args.config, os.environ))


def _app(args: argparse.Namespace) -> App:
    from ghostwatch.app.bootstrap import App

    return App.open(_load(args))


def _now(args: argparse.Namespace) -> datetime:
    now: datetime | None = getattr(args, "now", None)
    return now or datetime.now(UTC)


def _client(app: App, name: str) -> ClientConfig:
    """Find a configured client by name (case-insensitive) or raise ConfigError."""
    for client in app.config.clients:
        if client.name.casefold() == name.casefold():
            return client
    known = ", ".join(c.name for c in app.config.clients) or "none"
    raise ConfigError([f"no client named {name!r} (configured: {known})"])


# --- commands ------------------------------------------------------------------------


def cmd_check_config(args: argparse.Namespace) -> int:
    from ghostwatch.app.check import check_config
    from ghostwatch.app.online_check import secret_source_problems
    from ghostwatch.config.loader import find_config_path, template_names
    from ghostwatch.config.types import format_loc
    from ghostwatch.config.warnings import config_warnings
    from ghostwatch.core.templates import TemplateSet

    path = find_config_path(args.config, os.environ)
    config = check_config(path)  # values and templates: every problem at once
    problems = [f"{path.name}: {p}" for p in secret_source_problems(config, os.environ)]
    if problems:
        raise ConfigError(problems)
    templates = TemplateSet(config.templates.dir or None)
    for loc, message in config_warnings(config, templates, os.environ):
        print(f"{path}: {format_loc(loc)}: warning: {message}", file=sys.stderr)
    print(f"{path}: OK ({len(config.accounts)} account(s), {len(config.clients)} client(s))")
    if getattr(args, "show_templates", False):
        _show_templates(templates, sorted(template_names(config)))
    if getattr(args, "online", False):
        return _check_online(config)
    return EXIT_OK


def _check_online(config: Config) -> int:
    """Print one line per online check (``ghostwatch.app.online_check``); 1 if one failed."""
    from ghostwatch.app.bootstrap import check_online

    checks = asyncio.run(check_online(config))
    for check in checks:
        print(check.line())
    failed = sum(1 for c in checks if not c.ok)
    print(f"online: {len(checks) - failed} check(s) OK, {failed} failed")
    return EXIT_FAILED if failed else EXIT_OK


def _show_templates(templates: Any, names: list[tuple[str, str]], lines: int = 6) -> None:
    """Print the first ``lines`` non-blank lines of each template, rendered with sample
    values (``templates.sample_context``), one block per (template, language)."""
    from ghostwatch.core.templates import sample_context

    for name, language in names:
        text, _html = templates.render(name, language, sample_context(language))
        shown = [line for line in text.splitlines() if line.strip()][:lines]
        print(f"\n{name} ({language}):")
        for line in shown:
            print(f"  | {line}")


def cmd_once(args: argparse.Namespace) -> int:
    app = _app(args)
    try:
        report = asyncio.run(_once(app, _now(args), dry_run=args.dry_run))
    finally:
        app.close()
    print_cycle(report, sys.stdout)
    return EXIT_OK if report.ok and not _failures(report) else EXIT_FAILED


async def _once(app: App, now: datetime, *, dry_run: bool) -> CycleReport:
    """One cycle, then the heartbeat it started (bounded) and the metrics textfile."""
    app.monitor.start(app.store, serve=False)
    try:
        return await app.cycle(now, dry_run=dry_run)
    finally:
        await app.monitor.aclose()


def _failures(report: CycleReport) -> list[Any]:
    from ghostwatch.core.domain import OutboxStatus

    return [d for a in report.accounts for d in a.deliveries if d.status is OutboxStatus.FAILED]


def print_cycle(report: CycleReport, out: TextIO) -> None:
    from ghostwatch.core.domain import Action

    for problem in report.errors:
        print(f"FAILED: {problem}", file=out)
    for acc in report.accounts:
        if acc.error:
            print(f"{acc.account}: FAILED: {acc.error}", file=out)
            if acc.sync is None:
                continue  # nothing was read: nothing else to say
        if acc.held_by:
            print(f"{acc.account}: skipped (worked on by {acc.held_by})", file=out)
            continue
        stored = acc.sync.stored if acc.sync else 0
        print(f"{acc.account}: synced ({stored} new message(s))", file=out)
        for d in acc.decisions:
            if d.action is Action.SEND and acc.dry_run:
                print(f"  would send {d.template} to {d.to_addr}: {d.reason}", file=out)
            elif d.action is Action.HOLD:
                print(f"  held: {d.reason}", file=out)
        for name in acc.ghosted:
            print(f"  ghosted: {name}", file=out)
        for dl in acc.deliveries:
            status = dl.status.value if dl.status else "skipped (already planned)"
            extra = f" ({dl.error})" if dl.error else ""
            print(
                f"  {status}: {dl.decision.template} to {dl.decision.to_addr}: "
                f"{dl.decision.reason}{extra}",
                file=out,
            )


def cmd_status(args: argparse.Namespace) -> int:
    app = _app(args)
    try:
        now = _now(args)
        rows, health = app.status_rows(now), app.health_rows(now)
    finally:
        app.close()
    if args.json:
        # docs/cli.md: an array of client rows; each carries its account's health too.
        by_account = {h["account"]: h for h in health}
        for row in rows:
            row["account_health"] = by_account.get(row["account"])
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        # Imported here: it brings Babel, which no other command needs.
        from ghostwatch.cli.status_table import UTC_ZONE, format_health, format_table

        zones = {a.name: ZoneInfo(a.timezone) for a in app.config.accounts}
        print(format_table(rows, zones))
        print()
        for h in health:
            print(format_health(h, zones.get(h["account"], UTC_ZONE)))
    return _status_exit(args, health)


T = TypeVar("T")


def _on_client(
    args: argparse.Namespace, act: Callable[[App, ClientConfig, datetime], T]
) -> tuple[ClientConfig, T]:
    """Open the app, find ``args.client`` and do ``act(app, client, now)`` with it (the
    commands below go through ``actions``, as the same commands by mail do)."""
    app = _app(args)
    try:
        client = _client(app, args.client)
        return client, act(app, client, _now(args))
    finally:
        app.close()


def cmd_snooze(args: argparse.Namespace) -> int:
    from ghostwatch.app import actions

    def act(app: App, c: ClientConfig, now: datetime) -> str:
        actions.snooze(app, c, args.until, now, "command")
        return actions.local_words(app, c).day(args.until, actions.today(app, c, now))

    client, until = _on_client(args, act)
    print(f"{client.name}: snoozed until {until}")
    return EXIT_OK


def cmd_resume(args: argparse.Namespace) -> int:
    from ghostwatch.app import actions

    client, done = _on_client(args, lambda app, c, now: actions.resume(app, c, now, "command"))
    print(
        f"{client.name}: " + ("resumed" if done else "was not held or snoozed; nothing to resume")
    )
    return EXIT_OK


def _set_paused(args: argparse.Namespace, paused: bool) -> int:
    from ghostwatch.app import actions

    app = _app(args)
    try:
        for name in actions.set_paused(app, args.account, paused, _now(args), "command"):
            print(f"{name}: {'paused' if paused else 'sending again'}")
    finally:
        app.close()
    return EXIT_OK


def cmd_paid(args: argparse.Namespace) -> int:
    from ghostwatch.app import actions

    client, _ = _on_client(
        args, lambda app, c, now: actions.paid(app, c, args.invoice, now, "command")
    )
    print(f"{client.name}: invoice {args.invoice} marked paid")
    return EXIT_OK


def cmd_expect(args: argparse.Namespace) -> int:
    from ghostwatch.app import actions
    from ghostwatch.app.promise_commands import expect_any

    app, now = _app(args), _now(args)
    try:
        said = "no promise"
        if args.by is not None:  # a promise by a past day is a typo: refused (exit 2)
            client = _client(app, args.client)
            today = actions.today(app, client, now)
            actions.refuse_past(args.by, today)
            said = f"expected by {actions.local_words(app, client).day(args.by, today)}"
        app.sync_invoices(now)
        done = expect_any(app, args.client, args.invoice, args.by, at=now)
    finally:
        app.close()
    unchanged = "" if done.changed else " (unchanged)"
    print(f"{done.client}: {done.kind} {done.name} {said}{unchanged}")
    return EXIT_OK


def cmd_hold(args: argparse.Namespace) -> int:
    from ghostwatch.app import actions

    client, _ = _on_client(args, lambda app, c, now: actions.hold(app, c, now, "command"))
    print(f"{client.name}: held until you resume it")
    return EXIT_OK


def cmd_skip(args: argparse.Namespace) -> int:
    from ghostwatch.app import actions

    def act(app: App, c: ClientConfig, now: datetime) -> tuple[str, str]:
        skipped = actions.skip(app, c, now, "command")
        return skipped.template, actions.local_words(app, c).at(
            skipped.at, actions.today(app, c, now)
        )

    client, (template, when) = _on_client(args, act)
    print(f"{client.name}: skipped {template} (due {when})")
    return EXIT_OK


def cmd_send_now(args: argparse.Namespace) -> int:
    from ghostwatch.app import actions

    client, decision = _on_client(
        args, lambda app, c, now: actions.send_now(app, c, now, "command")
    )
    print(f"{client.name}: {decision.template} goes out at the next cycle (window lifted)")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from ghostwatch.app.service import Service, offset_clock
    from ghostwatch.config.loader import find_config_path

    path = find_config_path(args.config, os.environ)
    service = Service(path, clock=offset_clock(args.now) if args.now else _utcnow)
    return asyncio.run(service.run())


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _history_client(app: App, name: str) -> tuple[str, str]:
    """(account, client) for ``history``: a configured client, else one the database
    still holds records of (removed from the config since); ConfigError if neither."""
    from ghostwatch.store.evidence import client_names

    try:
        client = _client(app, name)
        return app.config.account_for(client).name, client.name
    except ConfigError:
        known = [k for k in client_names(app.store) if k[1].casefold() == name.casefold()]
        if len(known) == 1:
            return known[0]
        raise


def cmd_history(args: argparse.Namespace) -> int:
    from ghostwatch.app import evidence

    app = _app(args)
    try:
        account, client = _history_client(app, args.client)
        entries = evidence.history(app.store, account, client)
    finally:
        app.close()
    print(evidence.to_json(entries) if args.json else evidence.format_history(client, entries))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from ghostwatch.app import evidence

    app = _app(args)
    try:
        entries = evidence.export_log(app.store)
    finally:
        app.close()
    data = evidence.to_csv(entries) if args.format == "csv" else evidence.to_json(entries).encode()
    if args.out:
        with cannot_write(args.out):
            Path(args.out).write_bytes(data)
        print(f"{len(entries)} entries written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from ghostwatch.demo.run import run_demo

    if args.log_level == "warning":  # the demo narrates ghostings and bounces itself
        logs.configure(level="error")
    return run_demo(Path(args.out) if args.out else None, sys.stdout)


def cmd_summary(args: argparse.Namespace) -> int:
    """Write the summary as HTML (``--out``; records nothing) or send it now (``--send``;
    on demand, it does not count as the daily one). Exit 1 if sending failed."""
    from ghostwatch.app import summary

    app = _app(args)
    try:
        now = _now(args)
        if args.out:
            print(f"wrote {summary.write_summary(app, now, args.out)}")
            return EXIT_OK
        to = app.config.summary_to()
        message_id = asyncio.run(summary.send_summary(app, now))
    finally:
        app.close()
    print(f"summary sent to {to} ({message_id})")
    return EXIT_OK


def _later(feature: str, issue: str) -> Handler:
    def handler(_args: argparse.Namespace) -> int:
        print(f"ghostwatch: {feature} is not built yet (planned: {issue}).", file=sys.stderr)
        return EXIT_FAILED

    return handler


HANDLERS: dict[str, Handler] = {
    "check-config": cmd_check_config,
    "once": cmd_once,
    "status": cmd_status,
    "snooze": cmd_snooze,
    "resume": cmd_resume,
    "pause": lambda a: _set_paused(a, True),
    "unpause": lambda a: _set_paused(a, False),
    "paid": cmd_paid,
    "expect": cmd_expect,
    "hold": cmd_hold,
    "skip": cmd_skip,
    "send-now": cmd_send_now,
    "run": cmd_run,
    "summary": cmd_summary,
    "history": cmd_history,
    "export": cmd_export,
    "demo": cmd_demo,
    **SETUP_HANDLERS,  # init, completion
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["Path", "build_parser", "main"]
