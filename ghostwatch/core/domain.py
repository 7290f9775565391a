"""The words ghostwatch thinks in: frozen values shared by the pure core and the shell.

Invariants:
- Every datetime here is timezone-aware UTC. Local time appears only inside
  ``calendar`` (send windows, business days) and ``render``/``summary`` (display).
- Addresses are stored lower-cased (``normalise_address``); display names as given.
- Nothing in this module does I/O or reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum


class Direction(StrEnum):
    """Which way a message went, seen from the account."""

    INBOUND = "inbound"  # from a client to the account
    OUTBOUND = "outbound"  # from the account to a client
    UNRELATED = "unrelated"  # neither side is a known client


class Kind(StrEnum):
    """What sort of sender wrote a message. Only HUMAN mail counts as contact."""

    HUMAN = "human"
    BOUNCE = "bounce"
    AUTO_REPLY = "auto_reply"
    BULK = "bulk"
    # A client's message that could not be decoded or classified: stored (never dropped),
    # holds that client's nudges and asks the user to look, until a later human message.
    UNREADABLE = "unreadable"


class FolderRole(StrEnum):
    INBOX = "inbox"
    SENT = "sent"
    DRAFTS = "drafts"
    ALL = "all"  # Gmail's All Mail: direction decided by the From address


class WaitingOn(StrEnum):
    CLIENT = "client"
    YOU = "you"


class ClientStatus(StrEnum):
    """The ``state`` of a client in ``status`` (docs/behaviour.md, "States")."""

    OK = "ok"
    WAITING = "waiting"
    NUDGED = "nudged"
    GHOSTED = "ghosted"
    SNOOZED = "snoozed"
    HELD = "held"  # ``hold``: no nudges until ``resume`` (docs/commands.md)
    AWAY = "away"
    BOUNCING = "bouncing"
    # an invoice's ladder ended with "work paused until payment" and it is still unpaid
    PAUSED = "paused"


class LadderKind(StrEnum):
    SILENCE = "silence"
    INVOICE = "invoice"
    DEADLINE = "deadline"


class OutboxStatus(StrEnum):
    """Lifecycle of one planned nudge: planned -> sending -> sent | failed | unknown.

    ``unknown`` is resolved to ``sent`` (found in Sent) or ``failed``, never by resending.
    ``drafted``: mode = "draft", the nudge was put in Drafts. ``cancelled``: a re-decision
    just before sending found it no longer due (a reply arrived). ``skipped``: the user
    said ``skip`` (docs/commands.md); nothing was sent, the slot is taken and the
    client saw nothing, so the same step comes again one interval later.
    """

    PLANNED = "planned"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    DRAFTED = "drafted"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


# A nudge in one of these states occupies its (ladder, anchor, step) slot for good:
# it went out, may have gone out, or was refused permanently. Only CANCELLED frees it.
OCCUPYING_STATUSES = frozenset(
    {
        OutboxStatus.PLANNED,
        OutboxStatus.SENDING,
        OutboxStatus.SENT,
        OutboxStatus.FAILED,
        OutboxStatus.UNKNOWN,
        OutboxStatus.DRAFTED,
        OutboxStatus.SKIPPED,
    }
)


# ``hold`` is stored as a snooze with no end (``client_state.snoozed_until``): an instant
# far off, yet one calendars still compute. It is never shown as a date.
HOLD_UNTIL = datetime(2999, 12, 31, tzinfo=UTC)


def is_hold(until: datetime | None) -> bool:
    """True when a snooze ``until`` is a ``hold`` (``HOLD_UNTIL``), not a day."""
    return until is not None and until.year >= HOLD_UNTIL.year


def normalise_address(address: str) -> str:
    """Return ``address`` stripped and lower-cased (the whole address, as mailbox
    providers treat local parts case-insensitively in practice)."""
    return address.strip().strip("<>").strip().lower()


# --- messages ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Envelope:
    """Header facts of one message, decoded to str. Produced by ``classify.parse_headers``."""

    message_id: str | None  # with angle brackets, as in the header
    date: datetime | None  # aware UTC; None when missing or unparseable
    from_addr: str  # normalised; "" when missing
    from_name: str
    to: tuple[str, ...] = ()  # normalised addresses
    cc: tuple[str, ...] = ()
    subject: str = ""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    # when the server received it (IMAP INTERNALDATE), given by the shell; stands in for
    # ``date`` where a sender's clock is needed and the Date header is missing
    received: datetime | None = None
    # lower-cased header name -> decoded value, for the classification headers only
    headers: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Classification:
    """What ``classify.classify`` concluded about one message."""

    kind: Kind
    direction: Direction
    client: str | None  # client name, or None when the counterpart is unknown
    counterpart: (
        str | None
    )  # the client-side address (sender if inbound, first client rcpt if outbound)
    reason: str  # short, for logs: "header Auto-Submitted: auto-replied"
    away_until: date | None = None  # out-of-office return date, when unambiguous
    bounced: tuple[str, ...] = ()  # hard-bounced recipient addresses
    needs_body: bool = False  # the shell should fetch the body and call classify_body
    # a weak bounce sign (a bounce subject from a person, a null Return-Path, a vendor's
    # notice): classify_body confirms it from the body (kind BOUNCE) or leaves the kind
    bounce_suspect: bool = False


# --- configuration as the core sees it ----------------------------------------------


@dataclass(frozen=True, slots=True)
class LadderStep:
    after: timedelta
    template: str


@dataclass(frozen=True, slots=True)
class SendWindow:
    start: time
    end: time  # exclusive; end > start (no windows across midnight)


@dataclass(frozen=True, slots=True)
class Rules:
    """Rules resolved for one client: client -> [rules] -> built-in defaults."""

    timezone: str  # IANA name, validated by config
    ladder: tuple[LadderStep, ...]
    give_up_after: timedelta
    send_window: SendWindow
    business_days: bool
    holidays_country: str  # "" = no public holidays
    invoice_ladder: tuple[LadderStep, ...]
    deadline_ladder: tuple[LadderStep, ...]
    reply_defers_invoice: timedelta = timedelta(days=3)
    # one voice per client: no two nudges to one client closer than this, across ladders
    min_gap: timedelta = timedelta(days=2)
    # after an out-of-office return date: wait this long (whole days count as business
    # days when ``business_days``) before any nudge
    return_grace: timedelta = timedelta(days=2)
    # a nudge answered by an out-of-office with no return date is tried again after this
    away_default: timedelta = timedelta(days=7)
    # thank the client once when a paused invoice is paid
    work_resumed: bool = True
    # after a promised day ends: wait this long (whole days count as business days when
    # ``business_days``) before the one ``promise_reminder`` (docs/promises.md)
    promise_grace: timedelta = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ClientMatcher:
    """How to recognise a client's mail: exact addresses and whole domains (lower-case)."""

    name: str
    emails: frozenset[str]
    domains: frozenset[str]


# --- state the policy decides on ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """The message a nudge answers: our last human message to the client."""

    message_id: str
    references: tuple[str, ...]
    subject: str
    to_addr: str  # the client address we last wrote to
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class NudgeRecord:
    """One outbox row as the policy sees it."""

    ladder: str  # ladder key: "silence", "invoice:INV-1", "deadline:logo feedback"
    anchor: str  # what this ladder instance counts from (Message-ID or due date)
    step: int  # 1-based
    status: OutboxStatus
    at: datetime  # when it was sent (or planned/attempted)
    template: str = ""  # the template of the message that holds this slot
    message_id: str = ""  # that message's Message-ID (one message may hold several slots)
    subject: str = ""  # that message's subject (a later step of its ladder replies to it)
    # a skipped slot: when the skipped nudge would have gone; its ladder goes on from
    # then, not from the moment the user typed ``skip`` (docs/commands.md)
    due: datetime | None = None


@dataclass(frozen=True, slots=True)
class Invoice:
    key: str  # ladder key, "invoice:<number>"
    number: str
    amount: str
    due: date
    paid: bool = False
    # latest human reply from the client after the due date (pauses chasing)
    replied_at: datetime | None = None
    paid_at: datetime | None = None
    # the local day the client promised to pay by, when they wrote (or the user set
    # it: ``ghostwatch expect``), and the sentence it was read from
    expected_by: date | None = None
    promised_at: datetime | None = None
    promise: str = ""
    # the promising reply also asked something (a question, a request): it needs the
    # user's answer, so the ladder waits for it like for any other reply
    promise_asks: bool = False


@dataclass(frozen=True, slots=True)
class Deadline:
    key: str  # "deadline:<what>"
    what: str
    due: date
    met: bool = False  # a human reply from the client after the due date ends it
    # the local day the client promised to deliver by (docs/promises.md, "In the
    # deadline ladder"), when they wrote it (or the user set it: ``ghostwatch
    # expect``), the sentence, and whether that reply also asked something
    expected_by: date | None = None
    promised_at: datetime | None = None
    promise: str = ""
    promise_asks: bool = False


@dataclass(frozen=True, slots=True)
class AutoReply:
    """An automatic reply (out-of-office) from the client: when it came, and the return
    date it gave (the last day away, local to the client), if one could be read."""

    at: datetime
    returns: date | None = None


@dataclass(frozen=True, slots=True)
class ClientState:
    name: str
    account: str
    rules: Rules
    first_name: str = ""
    language: str = "en"
    emails: tuple[str, ...] = ()  # configured addresses, first = default recipient
    last_inbound: datetime | None = None  # latest human message from the client
    last_outbound: datetime | None = None  # latest human (non-nudge) message to the client
    thread: ThreadRef | None = None
    away_until: datetime | None = None  # start of the day after the return date, UTC
    bouncing: frozenset[str] = frozenset()
    snoozed_until: datetime | None = None
    nudges: tuple[NudgeRecord, ...] = ()
    invoices: tuple[Invoice, ...] = ()
    deadlines: tuple[Deadline, ...] = ()
    ghosted_anchor: str | None = None  # anchor of the silence ladder that ended in ghosting
    auto_replies: tuple[AutoReply, ...] = ()  # out-of-office replies, oldest first
    # latest client message that could not be read, when no human message came after it
    unreadable_at: datetime | None = None
    # (ladder, anchor, step) slots the user said "send now" for: once due, they need
    # not wait for the send window (every other rule holds; docs/commands.md)
    send_now: frozenset[tuple[str, str, int]] = frozenset()


@dataclass(frozen=True, slots=True)
class AccountState:
    name: str
    address: str
    display_name: str
    timezone: str
    paused: bool
    last_sync_at: datetime | None  # last fully successful sync of INBOX and Sent
    max_sync_age: timedelta
    max_nudges_per_day: int
    mode: str = "send"  # send | draft
    sent_today: int = 0  # nudges sent or drafted since local midnight in the account's zone
    # (language, name) where the user signs differently per language
    display_names: tuple[tuple[str, str], ...] = ()


# --- what the policy decides -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Why:
    """One clause of a decision's reason, as data, so every language can say it.

    ``code`` names a phrase (the list, with its English wording, is ``reasons.ENGLISH``);
    ``args`` fill it: ``str``, ``int`` or ``date`` values (dates already local to the
    client), plus ``datetime`` (aware UTC) where a time of day matters.
    """

    code: str
    args: tuple[tuple[str, object], ...] = ()

    def arg(self, name: str) -> object:
        """Return the argument ``name``; raise KeyError if the clause has none."""
        for key, value in self.args:
            if key == name:
                return value
        raise KeyError(name)


def why(code: str, **args: object) -> Why:
    """Return ``Why(code, args)`` with the arguments in a stable (sorted) order."""
    return Why(code, tuple(sorted(args.items())))


class Action(StrEnum):
    SEND = "send"  # due now and allowed: send (or draft) it
    WAIT = "wait"  # due later: ``at`` is when
    HOLD = "hold"  # due but blocked by a safety rule; ``reason`` says which
    GHOST = "ghost"  # the silence ladder ran out: mark the client ghosted


@dataclass(frozen=True, slots=True)
class Decision:
    client: str
    account: str
    action: Action
    ladder: str  # ladder key
    kind: LadderKind
    anchor: str
    step: int  # the step this decision is about (0 for GHOST)
    template: str | None
    at: datetime  # when it is (or was) due to go, aware UTC
    reason: str  # plain English: "Acme: 8 days since your message of 14 Nov; check-in due"
    to_addr: str | None = None
    thread: ThreadRef | None = None
    invoice: Invoice | None = None
    deadline: Deadline | None = None
    # ``reason`` as data, clause by clause (the summary says it in the user's language)
    why: tuple[Why, ...] = ()
    # one voice: the other due steps this message also carries (their slots are taken
    # with it); their invoices and deadlines are listed in it
    covers: tuple[Decision, ...] = ()
    returned: bool = False  # the step follows an out-of-office: "welcome back"
    close_on: date | None = None  # silence ladder: the local day the client is ghosted

    @property
    def slots(self) -> tuple[tuple[str, str, int], ...]:
        """Every (ladder, anchor, step) slot the message for this decision occupies."""
        return tuple((d.ladder, d.anchor, d.step) for d in (self, *self.covers))

    @property
    def invoices(self) -> tuple[Invoice, ...]:
        """The invoices this message is about, oldest due date first."""
        found = [d.invoice for d in (self, *self.covers) if d.invoice is not None]
        return tuple(sorted(found, key=lambda i: (i.due, i.number)))

    @property
    def deadlines(self) -> tuple[Deadline, ...]:
        """The deadlines this message is about, oldest due date first."""
        found = [d.deadline for d in (self, *self.covers) if d.deadline is not None]
        return tuple(sorted(found, key=lambda d: (d.due, d.what)))
