"""Commands in a reply to the daily summary: the tiny grammar. PURE.

No I/O, never the clock. The shell (``ghostwatch.app.mail_commands``) gives the new text
of the user's reply (quoted summary and signature already removed) and acts on what
comes back. docs/commands.md lists the words users may type.

Rules:
- Rule 1: one command per line. A line is read case-insensitively, with extra spaces,
  surrounding punctuation and a leading bullet ignored; the summary's key (``gw-…``)
  may stand on any line and is not part of a command.
- Rule 2: each verb has its English word and its Georgian and Thai words, in any
  summary language (a Georgian user may type ``skip 2``), and the variants a native
  speaker types as naturally (``VARIANTS``: the polite ``-თ`` imperative, ``გააგზავნე``
  beside ``გაგზავნე``, ``ชำระแล้ว`` beside ``จ่ายแล้ว``). Thai needs no space after the
  verb (``ข้าม2``) nor before ``now`` (``ส่ง 3เลย``), and a closing politeness particle
  (``ข้าม 2 ครับ``, ``ส่ง 3 เลยค่ะ``) says nothing about the command, so it is dropped.
- Rule 3: nothing is guessed. A line that is not exactly a known command (a missing
  target, ``send 3`` without ``now``, an unknown duration) is returned as
  ``Unparsed`` with the reason, and the shell reports it; it never acts on it.
- Rule 4: ``resolve`` maps a target to what the summary labelled: a label (``2``), a
  client's name (exact, else the one client whose name starts with it), or, for
  ``paid``, an invoice number. An ambiguous or unknown target is an error, not a pick.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from ghostwatch.core.durations import parse_duration

__all__ = [
    "TOKEN_RE",
    "VARIANTS",
    "VERBS",
    "Command",
    "Target",
    "Unparsed",
    "answer_id",
    "find_tokens",
    "is_answer_id",
    "parse",
    "resolve",
    "threads_to",
]

# The summary's one-time key as printed: "gw-" and 12 of ALPHABET (no 0/o, 1/l/i).
TOKEN_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # noqa: S105 (an alphabet, not a secret)
TOKEN_LENGTH = 12
TOKEN_RE = re.compile(rf"\bgw-([{TOKEN_ALPHABET}]{{{TOKEN_LENGTH}}})\b", re.IGNORECASE)

# verb -> the words that say it (English, Georgian, Thai); docs/commands.md lists them
VERBS: dict[str, tuple[str, ...]] = {
    "skip": ("skip", "გამოტოვე", "ข้าม"),
    "hold": ("hold", "შეაჩერე", "ระงับ"),
    "send": ("send", "გაგზავნე", "ส่ง"),
    "snooze": ("snooze", "გადადე", "เลื่อน"),
    "paid": ("paid", "გადახდილია", "จ่ายแล้ว"),
    "resume": ("resume", "განაახლე", "ทำต่อ"),
    "pause": ("pause", "პაუზა", "หยุดส่ง"),
    "unpause": ("unpause", "გააგრძელე", "เริ่มส่ง"),
    "expect": ("expect", "ველოდები", "รอ"),
}
# verb -> more words that say it (Rule 2); the summary prints only VERBS' words
VARIANTS: dict[str, tuple[str, ...]] = {
    "skip": ("გამოტოვეთ", "გამოტოვება", "ข้ามไป"),
    "hold": ("შეაჩერეთ", "ระงับการติดตาม"),
    "send": ("გააგზავნე", "გააგზავნეთ", "გაგზავნეთ"),
    "snooze": ("გადადეთ", "เลื่อนไป", "พักการติดตาม"),
    "paid": ("გადახდილი", "გადაიხადა", "გადაიხადეს", "ชำระแล้ว", "โอนแล้ว"),
    "resume": ("განაახლეთ", "ติดตามต่อ"),
    "pause": ("დააპაუზე", "დააპაუზეთ", "หยุดส่งทั้งหมด"),
    "unpause": ("გააგრძელეთ", "เริ่มส่งใหม่"),
    "expect": ("ველოდებით", "นัดชำระ", "รอชำระ"),
}
NOW_WORDS = (
    "now", "ახლავე", "ახლა", "ეხლა", "ეხლავე",
    "เดี๋ยวนี้", "ตอนนี้", "เลย", "ทันที", "เดี๋ยวนี้เลย", "ตอนนี้เลย",
)  # fmt: skip
# A Thai line may end in a politeness particle, with a softener before it (Rule 2).
_THAI_PARTICLE = re.compile(r"(?:\s*(?:ด้วย|หน่อย|นะ))*\s*(?:ครับผม|ครับ|ค่ะ|คะ|จ้ะ|จ้า)$")
# "expect CLIENT WHAT clear": there was no promise (docs/commands.md)
CLEAR_WORDS = ("clear", "none", "გაუქმება", "ยกเลิก")
# unit words of "snooze X 2w" in ka/th, to the unit letter of ghostwatch.core.durations
UNIT_WORDS = {
    "d": ("d", "day", "days", "დღე", "დღით", "วัน"),
    "w": ("w", "week", "weeks", "კვირა", "კვირით", "สัปดาห์", "อาทิตย์"),
}
NEEDS_TARGET = frozenset({"skip", "hold", "send", "snooze", "paid", "resume", "expect"})
_BULLET = re.compile(r"^[\s\-*•·>#]+")
_EDGE_PUNCT = " \t.,;:!?\"'“”„«»()[]"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Command:
    """One understood line. ``target``: a label, a client's name or an invoice number
    (casefolded); ``until``/``span``: snooze's end; ``invoice`` (as typed)/``on``: expect's."""

    verb: str
    line: str
    target: str = ""
    span: timedelta | None = None
    until: date | None = None
    invoice: str = ""
    on: date | None = None
    clear: bool = False  # expect ... clear: no promise


@dataclass(frozen=True, slots=True)
class Unparsed:
    line: str
    why: str  # an English code: "unknown", "no target", "send needs now", "bad duration"


@dataclass(frozen=True, slots=True)
class Target:
    """What a command's target named: a client, and the summary row's facts if a
    label was used (``kind``: "next", "needs", "invoice"; ``template``; ``invoice``)."""

    client: str
    kind: str = ""
    template: str = ""
    invoice: str = ""


def find_tokens(text: str) -> list[str]:
    """The summary keys in ``text``, lower-cased, in order."""
    return [m.group(1).lower() for m in TOKEN_RE.finditer(text)]


def threads_to(in_reply_to: str | None, references: tuple[str, ...], ids: frozenset[str]) -> bool:
    """True when a message's ``In-Reply-To`` or ``References`` names one of ``ids``
    (Message-IDs, compared with their angle brackets, case-insensitively)."""
    if not ids:
        return False
    named = {r.strip().lower() for r in (*references, in_reply_to or "") if r}
    return not named.isdisjoint(i.lower() for i in ids)


ANSWER_PREFIX = "<gw.answer"


def answer_id(domain: str, hex_token: str) -> str:
    """The Message-ID of ghostwatch's answer to a reply (recognised, never queued)."""
    return f"{ANSWER_PREFIX}{hex_token}@{domain}>"


def is_answer_id(message_id: str | None) -> bool:
    return bool(message_id) and str(message_id).lower().startswith(ANSWER_PREFIX)


def parse(text: str) -> tuple[list[Command], list[Unparsed]]:
    """Read each non-blank line of ``text`` as one command (Rules 1-3); return the
    commands and the lines that are none, both in order."""
    commands: list[Command] = []
    unparsed: list[Unparsed] = []
    for raw in text.splitlines():
        line = _SPACES.sub(" ", TOKEN_RE.sub(" ", raw)).strip()
        line = _BULLET.sub("", line).strip(_EDGE_PUNCT)
        line = _THAI_PARTICLE.sub("", line).strip(_EDGE_PUNCT)
        if not line:
            continue
        found = parse_line(line)
        (commands if isinstance(found, Command) else unparsed).append(found)  # type: ignore[arg-type]
    return commands, unparsed


def _split_verb(line: str) -> tuple[str, str] | None:
    folded = line.casefold()
    best: tuple[int, str] | None = None
    for verb in VERBS:
        for word in (*VERBS[verb], *VARIANTS.get(verb, ())):
            said = folded == word or folded.startswith(word + " ") or _glued(folded, word)
            if said and (best is None or len(word) > best[0]):
                best = (len(word), verb)
    if best is None:
        return None
    return best[1], line[best[0] :].strip(_EDGE_PUNCT)


def _glued(folded: str, word: str) -> bool:
    """A Thai verb may be written without a space before its target (Rule 2)."""
    return "\u0e00" <= word[0] <= "\u0e7f" and folded.startswith(word) and len(folded) > len(word)


def parse_line(line: str) -> Command | Unparsed:
    """One cleaned line -> a Command, or Unparsed with the reason (Rule 3)."""
    split = _split_verb(line)
    if split is None:
        return Unparsed(line, "unknown")
    verb, rest = split
    words = rest.split()
    if verb in ("pause", "unpause"):
        return Command(verb, line) if not words else Unparsed(line, "unknown")
    if verb == "send":
        words = _now_apart(words)
        if len(words) < 2 or words[-1].casefold().strip(_EDGE_PUNCT) not in NOW_WORDS:
            return Unparsed(line, "send needs now")
        words = words[:-1]
    if not words:
        return Unparsed(line, "no target")
    if verb == "snooze":
        return _snooze(line, words)
    if verb == "expect":
        return _expect(line, words)
    return Command(verb, line, target=_target(words))


def _now_apart(words: list[str]) -> list[str]:
    """``["3เลย"]`` -> ``["3", "เลย"]``: a Thai "now" needs no space before it (Rule 2)."""
    last = words[-1].casefold().strip(_EDGE_PUNCT) if words else ""
    if last in NOW_WORDS:
        return words
    for now in sorted(NOW_WORDS, key=len, reverse=True):
        if "\u0e00" <= now[0] <= "\u0e7f" and last.endswith(now) and len(last) > len(now):
            return [*words[:-1], last[: -len(now)], now]
    return words


def _target(words: list[str]) -> str:
    return " ".join(words).strip(_EDGE_PUNCT).lstrip("#").casefold()


def _snooze(line: str, words: list[str]) -> Command | Unparsed:
    """``snooze TARGET 2w`` | ``snooze TARGET 2 weeks`` | ``snooze TARGET 2026-12-01``."""
    when = _date(words[-1])
    if when is not None and len(words) > 1:
        return Command("snooze", line, target=_target(words[:-1]), until=when)
    span = _span(words[-2:]) if len(words) > 2 else None
    if span is not None:
        return Command("snooze", line, target=_target(words[:-2]), span=span)
    span = _span(words[-1:]) if len(words) > 1 else None
    if span is not None:
        return Command("snooze", line, target=_target(words[:-1]), span=span)
    return Unparsed(line, "bad duration")


def _span(words: list[str]) -> timedelta | None:
    text = "".join(words).casefold()
    m = re.fullmatch(r"(\d{1,3})(\D*)", text)
    if m is None:
        return None
    number, unit = m.groups()
    for letter, names in UNIT_WORDS.items():
        if unit in names:
            span = parse_duration(number + letter)
            return span if span > timedelta(0) else None
    return None


def _date(word: str) -> date | None:
    try:
        return date.fromisoformat(word.strip(_EDGE_PUNCT))
    except ValueError:
        return None


# expect CLIENT "what of a deadline" DATE: a quoted name of several words
_QUOTED = re.compile(r"^(?P<target>.+?)\s+[\"“'‘](?P<what>[^\"”'’]+)[\"”'’]\s*$")


def _expect(line: str, words: list[str]) -> Command | Unparsed:
    """``expect CLIENT WHAT YYYY-MM-DD`` or ``expect CLIENT WHAT clear``; WHAT is an
    invoice number, a word of a deadline's ``what``, or the whole of it in quotes."""
    last = words[-1].strip(_EDGE_PUNCT).casefold() if len(words) >= 3 else ""
    when = _date(words[-1]) if last else None
    clear = last in CLEAR_WORDS
    if when is None and not clear:
        return Unparsed(line, "expect needs client, invoice and date")
    quoted = _QUOTED.match(" ".join(words[:-1]))
    if quoted:
        target, what = _target(quoted["target"].split()), quoted["what"].strip()
    else:
        target, what = _target(words[:-2]), words[-2].strip(_EDGE_PUNCT)
    return Command("expect", line, target=target, invoice=what, on=when, clear=clear)


def resolve(
    command: Command,
    labels: dict[str, dict[str, str]],
    clients: list[str],
    invoices: dict[str, str],
) -> Target | str:
    """The Target of ``command`` (Rule 4), or an English reason it has none.
    ``labels``: the summary's label -> row facts (``client``, ``kind``, ...);
    ``clients``: configured names; ``invoices``: open invoice number -> client."""
    key = command.target
    if key in labels:
        row = labels[key]
        return Target(
            row["client"], row.get("kind", ""), row.get("template", ""), row.get("invoice", "")
        )
    if command.verb == "paid":
        numbers = {n.casefold(): (n, c) for n, c in invoices.items()}
        if key in numbers:
            number, client = numbers[key]
            return Target(client, "invoice", invoice=number)
    exact = [c for c in clients if c.casefold() == key]
    starts = [c for c in clients if c.casefold().startswith(key)]
    found = exact or starts
    if len(found) == 1:
        return Target(found[0])
    return "ambiguous" if found else "unknown target"
