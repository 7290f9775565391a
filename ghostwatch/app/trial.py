"""check-config's trial renders: every template against every context shape it can meet.

A template is only ever rendered for the ladder that names it, so each one is tried
with the decisions that ladder produces (docs/templates.md), in the language of each client it
serves, through ``render.render_nudge`` itself: the variables are exactly
``render.template_context``'s (new ones flow in by themselves) and the headers are
built as at send time. The shapes:

- silence ladder: in a thread (the policy never sends a silence nudge without one);
- invoice ladder: in a thread and without one (a client with no mail yet), with one
  invoice and, where decisions carry an ``invoices`` list, with several;
- deadline ladder: in a thread and without one.

Real client data is used where the config has it (names, addresses, invoice numbers,
deadline texts: a ``what`` with a line break must not break a Subject), samples
otherwise. Nothing here reads the clock: the trial happens at ``TRIAL_NOW``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from ghostwatch.app import state
from ghostwatch.config.loader import ClientConfig, Config
from ghostwatch.core import render
from ghostwatch.core.domain import (
    Action,
    ClientState,
    Deadline,
    Decision,
    Invoice,
    LadderKind,
    ThreadRef,
)
from ghostwatch.core.templates import TemplateSet
from ghostwatch.errors import TemplateError

__all__ = [
    "SAMPLE_CLIENT",
    "TRIAL_NOW",
    "Use",
    "check_templates",
    "template_problems",
    "template_uses",
]

TRIAL_NOW = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
_MESSAGE_ID = "<gw.trial@check-config.invalid>"
SAMPLE_CLIENT = ClientConfig(name="Sample Client", emails=("jane@acme.example",))
_SAMPLE_INVOICES = (
    Invoice("invoice:INV-2026-014", "INV-2026-014", "1,200 GEL", date(2026, 12, 1)),
    Invoice("invoice:INV-2026-015", "INV-2026-015", "800 GEL", date(2026, 12, 3)),
)
_SAMPLE_DEADLINE = Deadline("deadline:feedback", "feedback on the logo drafts", date(2026, 12, 3))

Use = tuple[str, str, LadderKind, int]  # template, language, ladder kind, step


def template_uses(config: Config) -> dict[Use, ClientConfig]:
    """Every ``(template, language, ladder kind, step)`` the resolved ladders name, with
    the first client that meets it (the ``[rules]`` ladders: a sample English client)."""
    uses: dict[Use, ClientConfig] = {}
    for client in (*config.clients, SAMPLE_CLIENT):
        rules = config.rules_for(client)
        language = client.language
        ladders = (
            (LadderKind.SILENCE, rules.ladder),
            (LadderKind.INVOICE, rules.invoice_ladder),
            (LadderKind.DEADLINE, rules.deadline_ladder),
        )
        for kind, ladder in ladders:
            for step, rung in enumerate(ladder, start=1):
                uses.setdefault((rung.template, language, kind, step), client)
        if rules.work_resumed and rules.invoice_ladder:
            # the thank-you when a paused invoice is paid: the step after the ladder's last
            step = len(rules.invoice_ladder) + 1
            uses.setdefault(("work_resumed", language, LadderKind.INVOICE, step), client)
        if rules.invoice_ladder:
            # a promise reminder comes before the ladder's first step or between steps
            uses.setdefault(("promise_reminder", language, LadderKind.INVOICE, 1), client)
        if rules.deadline_ladder:
            # so does a delivery promise's reminder on the deadline ladder
            use = ("deadline_promise_reminder", language, LadderKind.DEADLINE, 1)
            uses.setdefault(use, client)
    return uses


def check_templates(config: Config, templates: TemplateSet) -> list[str]:
    """Trial-render every template of ``config`` in every shape it can meet; return one
    line per distinct problem: template, language, ladder, shape, then ``file:line:
    message`` (a missing file, a syntax error, an undefined variable, a render that
    runs too long, a header that cannot be built). An empty list means all is well."""
    return [problem for _use, _client, problem in template_problems(config, templates)]


def template_problems(
    config: Config, templates: TemplateSet
) -> list[tuple[Use, ClientConfig, str]]:
    """``check_templates`` with, for each problem, the use that met it and the client
    that use came from (to name the key path that chose the template)."""
    problems: list[tuple[Use, ClientConfig, str]] = []
    account = config.accounts[0]
    acct = state.account_state(
        account, paused=False, last_sync_at=TRIAL_NOW, nudges={}, now=TRIAL_NOW
    )
    for use, client_config in sorted(template_uses(config).items()):
        name, language, kind, step = use
        client = state.client_state(config, client_config, None, (), ())
        seen: set[str] = set()
        for shape, decision in _shapes(client, client_config, kind, name, step):
            try:
                render.render_nudge(
                    decision, client, acct, templates, message_id=_MESSAGE_ID, now=TRIAL_NOW
                )
            except (TemplateError, ValueError) as exc:
                if str(exc) not in seen:  # a missing file fails every shape alike
                    seen.add(str(exc))
                    where = f"{language}, {kind.value} ladder step {step}, {shape}"
                    problems.append((use, client_config, f"template {name!r} ({where}): {exc}"))
    return problems


def _shapes(
    client: ClientState, config: ClientConfig, kind: LadderKind, template: str, step: int
) -> Iterator[tuple[str, Decision]]:
    """``(shape label, decision)`` for every context a ``kind`` ladder can give."""
    to_addr = config.emails[0] if config.emails else f"someone@{config.domains[0]}"
    thread = ThreadRef(
        message_id="<trial-thread@acme.example>",
        references=(),
        subject="Logo drafts",
        to_addr=to_addr,
        sent_at=TRIAL_NOW - timedelta(days=8),
    )
    base = Decision(
        client=client.name,
        account=client.account,
        action=Action.SEND,
        ladder=kind.value,
        kind=kind,
        anchor="trial",
        step=step,
        template=template,
        at=TRIAL_NOW,
        reason="check-config trial render",
        to_addr=to_addr,
    )
    if kind is LadderKind.SILENCE:
        yield "in a thread", replace(base, thread=thread)
        return
    threads = (("in a thread", thread), ("no thread yet", None))
    if kind is LadderKind.DEADLINE:
        deadline = _config_deadline(config) or _SAMPLE_DEADLINE
        kept = replace(deadline, expected_by=TRIAL_NOW.date(), promised_at=TRIAL_NOW)
        for label, ref in threads:
            yield label, replace(base, deadline=deadline, thread=ref)
            yield f"a promised delivery, {label}", replace(base, deadline=kept, thread=ref)
        return
    invoices = _config_invoices(config) + _SAMPLE_INVOICES
    for label, ref in threads:
        one = replace(base, invoice=invoices[0], thread=ref)
        yield f"one invoice, {label}", one
        yield f"several invoices, {label}", _with_invoices(one, invoices[1:2])
        deadline = _config_deadline(config) or _SAMPLE_DEADLINE
        covered = replace(base, kind=LadderKind.DEADLINE, ladder="deadline", deadline=deadline)
        yield f"an invoice and a deadline, {label}", replace(one, covers=(covered,))
        promised = replace(invoices[0], expected_by=TRIAL_NOW.date(), promised_at=TRIAL_NOW)
        yield f"a promised invoice, {label}", replace(one, invoice=promised)


def _with_invoices(decision: Decision, others: tuple[Invoice, ...]) -> Decision:
    """``decision`` also carrying ``others`` (one message for several invoices)."""
    covers = tuple(replace(decision, ladder=i.key, invoice=i) for i in others)
    return replace(decision, covers=covers)


def _config_invoices(config: ClientConfig) -> tuple[Invoice, ...]:
    return tuple(i.to_domain() for i in config.invoices)


def _config_deadline(config: ClientConfig) -> Deadline | None:
    return config.deadlines[0].to_domain() if config.deadlines else None
