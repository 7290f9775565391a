"""The composition root: configuration, store and templates wired to the mail servers.

The only module that names the concrete adapters (``ImapMailbox``, ``SmtpMailer``):
everything else in ``ghostwatch.app`` is written against the ports
(``ghostwatch.adapters.ports``) and gets its mailbox, mailer and clock from here. A
test hands its fakes to ``App``'s factories. Only what runs the App (the service, the
command line, the demo) imports this module; nothing it builds on does.

One cycle per account: sync -> record -> decide -> (re-check, send) -> record.
Only this module and the command line read the clock (through ``App.clock``), so a
simulated clock drives the real code in tests and in the demo.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime

import structlog

from ghostwatch.adapters.auth_backoff import AuthBackoff
from ghostwatch.adapters.imap import ImapMailbox
from ghostwatch.adapters.mailbox_pool import MailboxPool
from ghostwatch.adapters.ports import Clock, Mailbox, MailboxFactory, MailerFactory
from ghostwatch.adapters.progress import NO_PROGRESS, ScanProgress
from ghostwatch.adapters.smtp import SmtpEndpoint, SmtpMailer
from ghostwatch.app import mail_commands, online_check, policy_view, summary
from ghostwatch.app.adopt import adopt_nudges
from ghostwatch.app.courier import Courier, Delivery, Renderer, isolated
from ghostwatch.app.endpoints import imap_endpoint, smtp_endpoint
from ghostwatch.app.health import NO_MONITOR, Monitor
from ghostwatch.app.lease import LeaseKeeper
from ghostwatch.app.reports import AccountReport, CycleReport
from ghostwatch.app.retries import retry_delays
from ghostwatch.app.sync import SyncReport, resolve_folders, sync_account
from ghostwatch.app.sync_context import SyncContext, promise_readers, wanted_folders
from ghostwatch.config.loader import AccountConfig, Config
from ghostwatch.core import policy, render
from ghostwatch.core.domain import (
    AccountState,
    Action,
    ClientState,
    Decision,
    FolderRole,
)
from ghostwatch.core.templates import TemplateSet
from ghostwatch.errors import GhostwatchError
from ghostwatch.store.database import Store

log = structlog.get_logger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class App:
    """Everything a command needs, built once; constructors do no I/O."""

    def __init__(
        self,
        config: Config,
        store: Store,
        templates: TemplateSet,
        *,
        clock: Clock = utcnow,
        mailbox_factory: MailboxFactory = ImapMailbox,
        mailer_factory: MailerFactory = SmtpMailer,
    ) -> None:
        """``mailbox_factory`` and ``mailer_factory`` make every IMAP and SMTP
        connection of the App (sync, delivery, summary, answers to commands, the
        service's IDLE watchers): the concrete adapters, or a test's fakes."""
        self.config = config
        self.store = store
        self.templates = templates
        self.clock = clock
        # Test seam: called after a nudge is planned, before the mailbox is re-read
        # (to inject a reply "between the decision and the send").
        self.before_recheck: Callable[[], object] | None = None
        # Set by the service: a stop was requested; finish the send in flight, no more.
        self.stop_requested: Callable[[], bool] = lambda: False
        # Ports a test may replace (fakes through the composition root, never patching
        # module globals): how connections are made and how a nudge is rendered.
        self.mailbox_factory = mailbox_factory
        self.mailer_factory = mailer_factory
        self.render_nudge: Renderer = render.render_nudge
        # The waits between in-run SMTP retries (none under ``retries.set_testing``)
        self.retry_delays: tuple[float, ...] = retry_delays()
        # Several processes on one database: which accounts this one may work on
        # (ghostwatch.app.lease). None: all of them (a process of its own, as in tests).
        self.leases: LeaseKeeper | None = None
        # Refused logins, per account and server, shared by the cycle, the IDLE
        # watchers and the summary (ghostwatch.adapters.auth_backoff).
        self.logins = AuthBackoff(clock)
        # [health] (heartbeat, metrics) and the progress of long scans: off unless set
        self.monitor: Monitor = NO_MONITOR
        self.progress: ScanProgress = NO_PROGRESS
        # The accounts' sync connections; the service keeps them open between cycles
        # (ghostwatch.adapters.mailbox_pool), a one-off command logs out after each.
        self.mailboxes = MailboxPool(keep=False, opener=mailbox_factory)

    @classmethod
    def open(
        cls,
        config: Config,
        *,
        clock: Clock = utcnow,
        mailbox_factory: MailboxFactory = ImapMailbox,
        mailer_factory: MailerFactory = SmtpMailer,
    ) -> App:
        """Open the store (migrating it) and the template set for ``config``; the
        factories as for ``App``."""
        store = Store.open(config.database.resolved_url())
        directory = config.templates.dir or None
        app = cls(
            config,
            store,
            TemplateSet(directory),
            clock=clock,
            mailbox_factory=mailbox_factory,
            mailer_factory=mailer_factory,
        )
        app.leases = LeaseKeeper(store, ttl=config.database.lease_ttl, shared=False)
        accounts = [a.name for a in config.accounts]
        app.monitor = Monitor.from_config(config.health, accounts, clock=clock)
        app.progress = ScanProgress.for_stream(sys.stderr)
        return app

    def close(self) -> None:
        if self.leases is not None:
            self.leases.close()  # the accounts are free for another process at once
        self.store.close()

    def may_work(self, account: str) -> bool:
        """True while this process may sync and send for ``account`` (it holds the
        account's lease, or there is no lease keeper). Checked before every send."""
        return self.leases is None or self.leases.holds(account)

    def _claim(self) -> dict[str, str | None]:
        """Take or renew the accounts' leases; return account -> None if ours, else
        who holds it. Raise StoreError if the database fails."""
        names = [a.name for a in self.config.accounts]
        if self.leases is None:
            return dict.fromkeys(names)
        held = self.leases.refresh(names)
        if held == set(names):
            return dict.fromkeys(names)
        _now, rows = self.store.leases()
        return {
            n: None if n in held else (rows[n].holder if n in rows else "unknown") for n in names
        }

    # --- state ----------------------------------------------------------------------

    def states(
        self, account: AccountConfig, now: datetime, *, exclude: str | None = None
    ) -> tuple[AccountState, list[ClientState]]:
        """Return the policy's view of one account; ``exclude`` hides one outbox row."""
        return policy_view.account_states(self.config, self.store, account, now, exclude)

    def decide(
        self, account: AccountConfig, now: datetime, *, exclude: str | None = None
    ) -> list[Decision]:
        acct, clients = self.states(account, now, exclude=exclude)
        return policy.decide(acct, clients, now)

    def sync_invoices(self, now: datetime, accounts: Collection[str] | None = None) -> None:
        """Copy configured and recurring invoices of ``accounts`` (None: all) into the
        store (idempotent)."""
        policy_view.sync_invoices(self.config, self.store, now, accounts)

    # --- a cycle ----------------------------------------------------------------------

    async def cycle(
        self,
        now: datetime | None = None,
        *,
        dry_run: bool = False,
        accounts: Collection[str] | None = None,
    ) -> CycleReport:
        """Run one cycle for every account (``accounts``: only those), then the summary
        if due and its account is in the cycle.

        A full cycle takes or renews the leases first; a cycle of some accounts (the
        service's, for one account's wake-up or poll) relies on the renewal thread and
        skips an account this process does not hold. Never raises for an exception
        (BaseException such as cancellation aside): a fault is logged once, recorded
        in the report (and, for an account, as its ``last_error``), and every other
        account and the summary still run.
        """
        now = now or self.clock()
        report = CycleReport(now)
        claimed = self._claim() if accounts is None else self._held(accounts)
        try:
            self.sync_invoices(now, accounts)
        except Exception as exc:  # the invoices of the last cycle are still stored
            report.errors.append(self._fault("cycle.invoices_failed", exc))
        for account in self.config.accounts:
            if self.stop_requested():
                break
            if account.name not in claimed:
                continue
            if claimed[account.name] is not None:
                report.accounts.append(AccountReport(account.name, held_by=claimed[account.name]))
                continue
            report.accounts.append(await self._cycle_bound(account, now, dry_run))
        # across daemons, the summary account's holder sends the daily summary
        summary_account = self.config.summary_account().name
        if summary_account in claimed:
            await self._summary(report, summary_account, now, dry_run)
        log.info(
            "cycle.done",
            ok=report.ok,
            now=now.isoformat(),
            accounts=len(report.accounts),
            sent=sum(len(a.deliveries) for a in report.accounts),
        )
        self.monitor.cycle_done(report)  # never raises, never waits (health.py)
        return report

    def _held(self, accounts: Collection[str]) -> dict[str, str | None]:
        """The configured ones of ``accounts``: None if we hold it, else "elsewhere"."""
        names = [a.name for a in self.config.accounts if a.name in accounts]
        return {n: None if self.may_work(n) else "elsewhere" for n in names}

    async def _cycle_bound(
        self, account: AccountConfig, now: datetime, dry_run: bool
    ) -> AccountReport:
        structlog.contextvars.bind_contextvars(account=account.name)
        try:
            return await self.cycle_account(account, now, dry_run=dry_run or account.dry_run)
        finally:
            structlog.contextvars.unbind_contextvars("account")

    async def _summary(
        self, report: CycleReport, account: str, now: datetime, dry_run: bool
    ) -> None:
        if self.stop_requested() or not self.may_work(account):
            return
        try:
            report.summary_sent = await summary.maybe_send_summary(self, now, dry_run=dry_run)
        except Exception as exc:  # retried at the next cycle (after the backoff)
            report.errors.append(self._fault("cycle.summary_failed", exc))

    async def cycle_account(
        self, account: AccountConfig, now: datetime, *, dry_run: bool
    ) -> AccountReport:
        report = AccountReport(account.name, dry_run=dry_run)
        try:
            endpoint = imap_endpoint(account, self.logins)
            async with self.mailboxes.session(account.name, endpoint) as mailbox:
                folders = await resolve_folders(mailbox, wanted_folders(account))
                report.sync = await self._sync(mailbox, account, folders, now)
                await adopt_nudges(mailbox, self.store, self.config, account, folders, now)
                if not dry_run:  # replies to the summary act before this cycle decides
                    await mail_commands.handle(self, mailbox, account, now)
                report.decisions = self.decide(account, now)
                report.ghosted = self._ghost(account, report.decisions, now)
                if not dry_run and self._has_work(account.name, report.decisions, now):
                    report.deliveries = await self._deliver(mailbox, account, folders, now)
        except Exception as exc:
            # One account's fault (network, login, a secret that cannot be read, or a
            # bug) is reported and recorded; the other accounts and the daemon go on.
            report.error = self._fault("cycle.account_failed", exc)
        if report.error is None and (refused := self.logins.refusal(account.name)):
            # a refused SMTP login stands while no nudge is due: keep it in status
            self._record_error(account.name, now, refused.text)
        if report.error is None and (crashed := [d for d in report.deliveries if d.unexpected]):
            first = crashed[0]
            report.error = (
                f"{len(crashed)} nudge(s) failed unexpectedly; first: "
                f"{first.decision.client} step {first.decision.step}: {first.error}"
            )
            log.error("cycle.account_failed", error=report.error)  # tracebacks: nudge.*
        if report.error is not None:
            self._record_error(account.name, now, report.error)
        return report

    def _has_work(self, account: str, decisions: Sequence[Decision], now: datetime) -> bool:
        """True if delivering could do anything: a nudge is due now, a planned one's
        retry time has come, or one of unknown outcome waits to be looked up in Sent.
        Otherwise the delivery step (two more full reads of the account's state) is
        skipped: a poll that found nothing new costs one ``decide``."""
        return (
            any(d.action is Action.SEND for d in decisions)
            or bool(self.store.outbox_pending(account, now))
            or bool(self.store.outbox_unresolved(account))
        )

    def _fault(self, event: str, exc: Exception) -> str:
        """Log ``exc`` once (a traceback unless it is one of ours) and return its text."""
        # our own errors are plain words already ("IMAP fetch on host: connection lost");
        # anything else keeps its type, which says what went wrong
        text = str(exc) if isinstance(exc, GhostwatchError) else f"{type(exc).__name__}: {exc}"
        if getattr(exc, "reported", False):  # a refused login: logged once where it happened
            text = str(exc)  # already plain words: "login refused since 07:48 — ..."
            log.debug(event, error=text)
        elif isinstance(exc, GhostwatchError):
            log.error(event, error=text)
        else:
            log.error(event, error=text, exc_info=exc)
        return text

    def _record_error(self, account: str, now: datetime, error: str) -> None:
        """Make ``error`` the account's ``last_error`` (status, summary); a store that
        cannot take even that is logged, not raised."""
        try:
            self.store.set_sync_error(account, now, error)
        except Exception as exc:
            self._fault("cycle.error_not_recorded", exc)

    async def _sync(
        self,
        mailbox: Mailbox,
        account: AccountConfig,
        folders: dict[FolderRole, str],
        now: datetime,
    ) -> SyncReport:
        ctx = SyncContext(
            account=account.name,
            addresses=frozenset({account.address.lower(), *account.aliases}),
            matchers=self.config.matchers(account.name),
            initial_scan=account.initial_scan,
            now=now,
            nudge_ids=frozenset(self.store.outbox_message_ids(account.name)),
            payment_matchers=account.payment_matchers,
            promise_readers=promise_readers(self.config, self.store, account),
            progress=self.progress,
            **mail_commands.sync_fields(self, account, folders),
        )
        watched: dict[FolderRole, str] = {
            r: n for r, n in folders.items() if r is not FolderRole.DRAFTS
        }
        return await sync_account(mailbox, self.store, ctx, watched)

    def _ghost(
        self, account: AccountConfig, decisions: Sequence[Decision], now: datetime
    ) -> list[str]:
        ghosted = []
        for d in decisions:
            if d.action is Action.GHOST:
                self.store.set_ghosted(account.name, d.client, d.anchor, now)
                self.store.append_event(
                    "client.ghosted", at=now, account=account.name, client=d.client, reason=d.reason
                )
                log.warning("client.ghosted", client=d.client, reason=d.reason)
                ghosted.append(d.client)
        return ghosted

    async def _deliver(
        self,
        mailbox: Mailbox,
        account: AccountConfig,
        folders: dict[FolderRole, str],
        now: datetime,
    ) -> list[Delivery]:
        async def recheck(exclude: str) -> list[Decision]:
            if self.before_recheck is not None:
                self.before_recheck()
            await self._sync(mailbox, account, folders, now)
            return self.decide(account, now, exclude=exclude)

        acct, clients = self.states(account, now)
        by_name = {c.name: c for c in clients}
        mailer = (
            self.mailer_factory(smtp_endpoint(account, self.logins))
            if account.mode == "send"
            else None
        )
        courier = Courier(
            self.store,
            acct,
            mailbox,
            mailer,
            folders,
            self.templates,
            recheck,
            self.render_nudge,
            self.retry_delays,
        )
        out: list[Delivery] = []
        try:
            out += await courier.resolve_unknown(now)
            for row in self.store.outbox_pending(account.name, now):
                if self.stop_requested() or not self.may_work(account.name):
                    break
                out.append(await isolated(courier.send_planned(row, now), row))
            for decision in self.decide(account, now):
                if self.stop_requested() or not self.may_work(account.name):
                    break  # a lost lease stops sending at once
                if decision.action is Action.SEND:
                    client = by_name[decision.client]
                    out.append(await isolated(courier.deliver(decision, client, now), decision))
        finally:
            # also when a send or the store fails: no SMTP connection left half-open
            if mailer is not None:
                await mailer.close()
        return out

    def next_summary_at(self, now: datetime) -> datetime | None:
        """When the daily summary is next due (None: disabled); the service wakes then."""
        return summary.next_summary_at(self, now)


async def check_online(
    config: Config, env: Mapping[str, str] | None = None
) -> list[online_check.Check]:
    """``check-config --online`` over the real servers (``ghostwatch.app.online_check``)."""
    return await online_check.check_online(
        config, env, mailbox_factory=ImapMailbox, smtp_login=_smtp_login
    )


async def _smtp_login(endpoint: SmtpEndpoint) -> None:
    async with SmtpMailer(endpoint) as mailer:
        await mailer.check_login()


__all__ = ["App", "GhostwatchError", "check_online", "utcnow"]
