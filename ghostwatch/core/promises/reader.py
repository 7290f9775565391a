"""PURE: payment and delivery promises with a date, read from a client's reply.

``new_text(body, language)`` is the reply without quoted text and signature;
``find_promises(text, today=..., language=..., open_invoices=...)`` lists its promises.
No I/O, no clock: ``today`` is the local date (client's zone) the reply was received.
docs/promises.md has these rules, the corpus and its measured precision and recall.

Rule 1, the new text: mail-parser-reply cuts the reply at the first quoted-reply header
  it knows ("On ... wrote:", Outlook's From:/Sent: block, in en/de/fr/...); our own
  additions cut at Georgian, Thai and Russian "wrote" headers (წერს:, เขียนว่า:,
  написал:), drop quoted (">") lines wherever they are, and cut at a "-- " signature, at
  "Sent from my ..." and at a closing line that is only a valediction ("Best regards,",
  "მადლობა,", "ขอบคุณครับ", "С уважением,"). A valediction with more after it on its own
  line ("Thanks, we'll pay Friday") is kept: it is text, not a signature; so is one on the
  first line ("Thanks!" and then the answer).
Rule 2, sentences: split at . ! ? and line breaks (a dot inside "20.11." does not split,
  nor a break that wraps a long line);
  Thai, which has no full stop, also splits at spaces before a new clause. A question
  (a "?", or Thai ไหม/มั้ย/หรือเปล่า) promises nothing.
Rule 3, a promise is a date (ghostwatch/core/promises/dates.py: weekdays, relative days, weeks,
  months, days of the month, explicit and Buddhist-era dates) whose nearest verb in the
  same sentence is a payment verb (pay, transfer, wire, settle; გადავიხდი, გადმოგირიცხავ;
  โอน, จ่าย, ชำระ; zahlen, überweisen; payer, virement; оплатить, перевести) or a delivery
  verb (send, deliver, sign, feedback; გამოგიგზავნი; ส่ง; schicken; envoyer; отправить).
  "Send the payment" is a payment.
Rule 4, what is not a promise: a date in the past ("I paid yesterday", "last Friday"); a
  past-tense verb ("paid", "sent", გადავიხადე, โอนแล้ว, bezahlt, payé, оплатил); a verb
  negated or made conditional before it in its clause ("can't pay", "if the client pays
  us", ვერ გადავიხდი, ไม่สามารถโอน, ถ้า...); a date nearer to a meeting or absence word
  than to the verb ("Friday works for the call", "out of office until Monday").
Rule 4b, doubt (ghostwatch/core/promises/doubt.py; docs/promises.md Rule 17): a hedge or
  supposition ("we'd", "maybe", "hopefully"), a condition after the verb, the user's own
  words reported, money to the client or a third party's plan, a request to wait, a plan
  that was, a negation after the verb, or a date in a clause of its own: no promise.
Rule 5, one date per kind and sentence: the latest ("Monday or Tuesday at the latest").
Rule 6, invoices: a promise names an invoice when its number (any case, punctuation
  ignored, or its last digits after "#" / "invoice") is in the sentence, else when exactly
  one open invoice is named elsewhere in the reply. ``expected_by`` applies the issue's
  rule: a payment promise sets the invoice it names, or the client's only open invoice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

# mail-parser-reply ships no type information; pyproject's mypy overrides are not ours to edit.
from mailparser_reply import EmailReplyParser  # type: ignore[import-untyped]

from ghostwatch.core.promises.dates import DateHit, find_dates
from ghostwatch.core.promises.doubt import doubt
from ghostwatch.core.promises.verbs import Verb, blocked_by_distractor, find_verbs, is_question


@dataclass(frozen=True, slots=True)
class Promise:
    """A promise read from a reply: ``kind`` is "payment" or "delivery"; ``by`` the local
    day by the end of which it was promised; ``sentence`` the sentence it was read from,
    as written (one line); ``invoice`` the open invoice number it names, if any."""

    kind: str
    by: date
    sentence: str
    invoice: str | None


# Quoted-reply headers mail-parser-reply does not know (it has no ka, th or ru).
_HEADERS = re.compile(
    r"^.{0,200}?(?:წერს|დაწერა|მისწერა|เขียนว่า|เขียน|написал\w*|пишет)\s*:\s*$"
    r"|^-{3,}\s*(?:Original Message|Исходное сообщение|ข้อความต้นฉบับ)\s*-{3,}\s*$",
    re.MULTILINE | re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^(?:--\s*|—\s*|Sent from my \S.*|Get Outlook for .*|Von meinem \S.*gesendet"
    r"|Envoyé de mon .*|Отправлено с .*)$"
    r"|^(?:best(?: regards| wishes)?|kind regards|regards|many thanks|thanks(?: again)?|"
    r"thank you|cheers|all the best|sincerely|mit freundlichen grüßen|viele grüße|beste grüße|"
    r"grüße|cordialement|bien à vous|merci|bonne journée|с уважением|спасибо|"
    r"პატივისცემით|მადლობა|მადლობთ|საუკეთესო სურვილებით|ขอบคุณ(?:ครับ|ค่ะ|มาก)*|"
    r"ด้วยความเคารพ|ขอแสดงความนับถือ)[\s,.!]*$",
    re.MULTILINE | re.IGNORECASE,
)
_PARSER_LANGUAGES = {"de", "fr", "es", "it", "nl", "pl", "sv", "da", "cs"}


def new_text(body: str, language: str) -> str:
    """The newest part of a plain-text reply ``body``: above the quoted older mail, without
    quoted (">") lines and the signature (Rule 1). Never raises; an empty body gives ""."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    parser = EmailReplyParser(languages=[language] if language in _PARSER_LANGUAGES else ["en"])
    replies = parser.read(body).replies
    # The first reply's *content*: its signature is cut below, where a line that is only
    # "Thanks," counts and "Thanks, we'll pay on Friday" does not.
    text = replies[0].content if replies else body
    header = _HEADERS.search(text)
    if header:
        text = text[: header.start()]
    # Quoted lines go wherever they are: an answer written below or between them stays.
    text = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">"))
    # A valediction on the first line ("Thanks!") opens the reply; later, it closes it.
    for found in _SIGNATURE.finditer(text):
        if text[: found.start()].strip():
            text = text[: found.start()]
            break
    return text.strip()


# What makes a reply more than a promise: a question or a request the user must answer.
# When in doubt it asks (the ladder then waits for the user, as for any reply).
_ASKS = re.compile(
    r"[?？]|\b(?:could|can|would|will) you\b|\bplease\b|\blet me know\b|"
    r"\b(?:könnten|können|würden) sie\b|\bbitte\b|\bpourriez-vous\b|\bpouvez-vous\b|"
    r"\bmerci de\b|\bне могли бы\b|\bпожалуйста\b|"
    r"შეგიძლიათ|შეძლებთ|გთხოვთ|ხომ\s+ვერ|"
    r"ไหม|มั้ย|หรือเปล่า|หรือยัง|รบกวน|ช่วย",
    re.IGNORECASE,
)


def asks_something(text: str) -> bool:
    """True when the new text of a reply (``new_text``) asks the user something beyond
    the promise -- a question mark, or a request ("could you", "please", "გთხოვთ",
    "รบกวน", a Thai question particle): the user owes an answer, so no reminder may
    go out before it. Never raises."""
    return _ASKS.search(text) is not None


_SENTENCE_END = re.compile(
    # not after a Thai abbreviation's closing dot ("30 พ.ย. ใช่ไหมคะ" is one sentence)
    r"(?<=[.!?])(?<!\.[ก-๛]\.)\s+(?=[^\d\sa-zäöüàâçéèêëîïôûùÿñæœа-я])|(?<=[!?])\s+|(?<=;)\s+|\n+"
)
_THAI_CLAUSE = re.compile(r"(?<=[ก-๛])\s+(?=(?:จะ|แต่|ส่วน|ทาง|ผม|ดิฉัน|ฉัน|เรา|หนู|ขอบคุณ|ตอนนี้|ยัง))")
# A Thai condition ("ถ้า ... จะ ...": if ..., (we) will ...) holds its consequence: the
# clause that follows it is not a sentence of its own (Rule 14 reads the condition).
_THAI_CONDITION = re.compile(r"(?:ถ้า|หาก)")


# A hard-wrapped line (mail clients wrap near 72 characters) goes on on the next line.
_WRAPPED = re.compile(r"(?<=[^\n.!?:;]{50})[ \t]*\n(?=[ \t]*\S)")


def sentences(text: str, language: str) -> list[tuple[int, str]]:
    """``text`` split into sentences (Rule 2): (offset, sentence) pairs, none empty.

    A line break ends a sentence unless it wraps a long line (50 characters or more
    without a closing . ! ? : ;)."""
    text = _WRAPPED.sub(" ", text)
    found: list[tuple[int, str]] = []
    start = 0
    splitter = _SENTENCE_END.pattern + ("|" + _THAI_CLAUSE.pattern if language == "th" else "")
    for m in [*re.finditer(splitter, text), None]:
        end = m.start() if m else len(text)
        piece = text[start:end]
        if m and language == "th" and _is_thai_clause(m) and _THAI_CONDITION.search(piece):
            continue  # the piece goes on to the end of the consequence
        if piece.strip():
            found.append((start + len(piece) - len(piece.lstrip()), piece.strip()))
        start = m.end() if m else end
    return found


def _is_thai_clause(m: re.Match[str]) -> bool:
    """A split at a space before a Thai clause word, not at punctuation or a line break."""
    before = m.string[m.start() - 1 : m.start()]
    return (
        _THAI_CLAUSE.match(m.string, m.start()) is not None
        and "\n" not in m.group()
        and before not in (".", "!", "?", ";")
    )


def find_promises(
    text: str, *, today: date, language: str, open_invoices: Sequence[str] = ()
) -> list[Promise]:
    """The promises in ``text`` (already ``new_text``), in text order (Rules 2-6).

    ``today`` is the local date the reply was received, ``language`` the client's
    ("en", "ka", "th", "de", "fr", "ru"; another reads English). A sentence without a
    future date and a valid verb gives nothing.
    """
    named_anywhere = [i for i in open_invoices if _names(text, i)]
    fallback = named_anywhere[0] if len(named_anywhere) == 1 else None
    found: list[Promise] = []
    for _, sentence in sentences(text, language):
        line = " ".join(sentence.split())
        best = _sentence_promises(line, today=today, language=language)
        invoices: list[str | None] = [i for i in open_invoices if _names(line, i)] or [fallback]
        for kind, by in best.items():
            found += [Promise(kind, by, line, invoice) for invoice in invoices]
    return found


def _sentence_promises(line: str, *, today: date, language: str) -> dict[str, date]:
    """Rule 3-5 for one sentence: the latest promised day per kind."""
    if is_question(line, language):
        return {}
    verbs = find_verbs(line, language)
    best: dict[str, date] = {}
    if not verbs:
        return best
    for hit in find_dates(line, today=today, language=language):
        verb = _verb_for(verbs, hit, language)
        if hit.past or not verb.valid or blocked_by_distractor(line, hit, _distance(verb, hit)):
            continue
        if doubt(line, verb, hit, language) is not None:
            continue  # Rule 17: not sure enough to wait for
        if hit.by > best.get(verb.kind, date.min):
            best[verb.kind] = hit.by
    return best


# Verb-second/-initial languages put what is promised before its date ("send the contract
# on Friday and pay next week"); Georgian and Thai often put the date first.
_VERB_BEFORE_DATE = {"en", "de", "fr", "ru"}


def _verb_for(verbs: list[Verb], hit: DateHit, language: str) -> Verb:
    """The verb a date belongs to: the nearest one, or in English, German, French and
    Russian the nearest one before it when there is one."""
    before = [v for v in verbs if v.end <= hit.start]
    if language in _VERB_BEFORE_DATE and before:
        return before[-1]
    return min(verbs, key=lambda v: _distance(v, hit))


def _distance(verb: Verb, hit: DateHit) -> int:
    if verb.end <= hit.start:
        return hit.start - verb.end
    return max(0, verb.start - hit.end)


def _names(text: str, invoice: str) -> bool:
    """Whether ``text`` names ``invoice`` (Rule 6): all of its letters and digits in order,
    any punctuation between ("inv 2026 015"), not inside a longer number ("INV-1" is not
    named by "INV-12"); or its last digits after "#" or "invoice"."""
    chunks = re.findall(r"[^\W_]+", invoice)
    if not chunks:
        return False
    whole = r"(?<![^\W_])" + r"[\W_]*".join(map(re.escape, chunks)) + r"(?![^\W_])"
    if re.search(whole, text, re.IGNORECASE):
        return True
    tail = re.search(r"(\d+)\D*$", invoice)
    if not tail:
        return False
    digits = tail.group(1).lstrip("0") or "0"
    pattern = (
        r"(?:#|\binvoice\s*(?:no\.?|number|#)?\s*|ინვოის\w*\s*(?:№|#)?\s*|"
        rf"ใบแจ้งหนี้\s*(?:เลขที่)?\s*)0*{digits}(?!\d)"
    )
    return re.search(pattern, text, re.IGNORECASE) is not None


def expected_by(promises: Sequence[Promise], open_invoices: Sequence[str]) -> dict[str, date]:
    """Which open invoice each payment promise sets, and to what day (Rule 6): the invoice
    it names, or the only open invoice; a later promise about the same invoice wins."""
    return {number: p.by for number, p in invoice_promises(promises, open_invoices).items()}


def invoice_promises(
    promises: Sequence[Promise], open_invoices: Sequence[str]
) -> dict[str, Promise]:
    """``expected_by`` with the promise itself (its sentence is shown to the user)."""
    expected: dict[str, Promise] = {}
    for promise in promises:
        if promise.kind != "payment":
            continue
        invoice = promise.invoice
        if invoice is None and len(open_invoices) == 1:
            invoice = open_invoices[0]
        if invoice is not None and invoice in open_invoices:
            expected[invoice] = promise
    return expected


# Words of a deadline's ``what`` too common to name it ("the feedback on the logo").
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "this",
        "that",
        "your",
        "our",
        "about",
        "into",
        "onto",
        "over",
        "after",
        "before",
    ]
)


def deadline_promises(
    promises: Sequence[Promise], open_deadlines: Sequence[str]
) -> dict[str, Promise]:
    """Which open deadline (its ``what``) each delivery promise sets (Rule 19): the one
    whose distinctive words (four letters or more, in no other open deadline's
    ``what``) the sentence names, else the client's only open deadline; a sentence
    naming two deadlines, or none of several, sets nothing. A later promise about the
    same deadline wins; payment promises set no deadline."""
    words = {what: _words(what) for what in open_deadlines}
    found: dict[str, Promise] = {}
    for promise in promises:
        if promise.kind != "delivery":
            continue
        sentence = promise.sentence.casefold()
        named = [
            what
            for what, own in words.items()
            if any(w in sentence for w in own - _others(words, what))
        ]
        if len(named) == 1:
            found[named[0]] = promise
        elif not named and len(open_deadlines) == 1:
            found[open_deadlines[0]] = promise
    return found


def _words(what: str) -> set[str]:
    return {w for w in re.findall(r"[^\W\d_]{4,}", what.casefold()) if w not in _STOP}


def _others(words: dict[str, set[str]], what: str) -> set[str]:
    return set().union(*(own for other, own in words.items() if other != what))
