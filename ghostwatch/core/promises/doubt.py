"""PURE: what makes a promised day too uncertain to wait for (docs/promises.md, Rule 17).

``doubt(sentence, verb, date, language)`` names why a date and its verb, already found
(``verbs``, ``dates``), promise nothing the ladder may wait for, or returns None.
A wrong promise delays a reminder, a missed one only keeps the fixed deferral, so the
reader refuses what it is not sure of (precision over recall). Invariants: English's
words are read in every language (clients mix them); each class is one pattern per
language, tried on the sentence around the verb, never on the whole reply.

The classes, each with its corpus rows (tests/corpus/promises.tsv, "Fifth batch"):
- ``hypothetical``: a conditional or hedging modal before the verb ("we'd pay", "could
  send", "might", "maybe", "probably", "hopefully", "try to"; ალბათ, შეიძლება, ვეცდები;
  อาจ, คง, คิดว่า, พยายาม; vielleicht, würden; peut-être, pourrions; возможно, бы), or a
  hedge after it ("…on Friday, probably"; Thai มั้ง, ก็ได้; Georgian ალბათ at the end).
- ``condition_after``: a condition after the verb ("pay by Friday if the credit note
  were ready"), except a courtesy ("if that's OK", "if that works for you").
- ``reported``: someone else's words ("you said you'd send it Monday", "he mentioned"),
  or the verb's subject is the user ("you'll send", "you'd pay").
- ``third_party``: money to the client or a third party's plan ("our client pays us on
  Friday", "once we get paid", "the bank processes transfers on Monday", "should be paid
  by head office").
- ``request_to_wait``: the date is how long the client asks the user to wait ("can you
  wait until Friday", "give us until Monday"), or the sentence opens as a question
  without a question mark ("Would Friday work for the payment").
- ``future_in_past``: a plan that was ("I was going to pay on Friday", "we had planned").
- ``negated``: a negation after the verb or a doubt anywhere before it ("payment won't
  go out before Friday", "not sure we can pay by Friday", "no guarantee").
- ``other_clause``: the date is in a clause of its own with its own subject ("we'll pay,
  the approval comes on Friday").
"""

from __future__ import annotations

import re
from typing import Protocol

__all__ = ["doubt"]


class _Span(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


_I = re.IGNORECASE
# Before the verb, in the whole sentence up to it (a hedge opens the sentence).
_HYPOTHETICAL = {
    "en": r"\b(?:would|could|might|may(?!\s+\d)|'d|maybe|perhaps|possibly|probably|likely|"
    r"hopefully|hope to|hoping to|try to|trying to|aim to|aiming to|ideally|if possible|"
    r"if all goes well|fingers crossed|i think|we think|i guess|i believe|i expect)\b",
    "de": r"\b(?:würde\w*|könnte\w*|möchte\w*|vielleicht|eventuell|wahrscheinlich|hoffentlich|"
    r"versuchen|ich glaube|wir glauben|denke)\b",
    "fr": r"\b(?:\w+rions|\w+rais|\w+rait|\w+riez|peut-être|probablement|éventuellement|"
    r"j'espère|espérons|essayer|essaierons|je pense|nous pensons)\b",
    "ru": r"(?:\bбы\b|\bможет быть\b|\bвозможно\b|\bнаверн\w*|\bпостара\w*|\bпопробу\w*|"
    r"\bнадеюсь\b|\bнадеемся\b|\bдумаю\b|\bвероятно\b)",
    "ka": r"(?:ალბათ|შეიძლება|ვეცდ\w*|ვეცდებით|მგონი|ვფიქრობ\w*|იქნებ\b|ეგებ|იმედი\s+მაქვს|იმედია|"
    r"ვცდილობ\w*|შევეცდ\w*)",
    "th": r"(?:อาจ(?!ารย์)|คง(?!ค้าง|ที่)|คิดว่า|ไม่แน่ใจ|พยายาม|(?<!ทด)(?<!ฉ)(?<!ค)ลอง|หวังว่า|น่าจะ|"
    r"เผื่อ)",
}
# After the verb: a hedge that closes the sentence ("I'll pay on Friday, probably";
# Thai มั้ง, Georgian ალბათ, which often come last).
_HEDGE_AFTER = {
    "en": r"\b(?:probably|maybe|perhaps|hopefully|i think|i hope|i guess|with luck|"
    r"fingers crossed|(?:at|with) any luck|if possible|if we can|if i can)\b",
    "de": r"\b(?:vielleicht|wahrscheinlich|hoffentlich|eventuell)\b",
    "fr": r"\b(?:peut-être|probablement|j'espère|si possible)\b",
    "ru": r"(?:наверн\w*|возможно|может быть|надеюсь)",
    "ka": r"(?:ალბათ|ეგებ|მგონი|იქნებ\b|იმედია)",
    "th": r"(?:มั้ง|มั๊ง|ก็ได้|ไม่แน่|อาจจะ|รึเปล่า|หรือเปล่า)",
}
_CONDITION_AFTER = {
    "en": r"\b(?:if|unless|provided|assuming|as long as|(?<!at )once|when|as soon as|"
    r"depending on|subject to)\b(?!\s+(?:that'?s|that is|it'?s|this is|that works|it works|"
    r"ok|okay|all right|alright|fine|you (?:don'?t|do not) mind|possible|not sooner|not earlier|"
    r"not before)\b)",
    "de": r"\b(?:wenn|falls|sobald|sofern)\b(?!\s+(?:das|es)\s+(?:ok|okay|recht|passt)\b)",
    "fr": r"\b(?:si|dès que|quand|lorsque)\b(?!\s+(?:ça|cela)\s+(?:vous\s+)?(?:va|convient)\b)",
    "ru": r"(?:^|\s)(?:если|когда|как только)\s(?!(?:вас|это)\s+(?:устроит|устраивает)\b)",
    "ka": r"(?:^|\s)(?:თუ|თუკი|როცა|როდესაც|როგორც კი)\s",
    "th": r"(?:ถ้า|หาก|เมื่อ|จนกว่า|ต่อเมื่อ)(?!สะดวก)",
}
_REPORTED = {
    "en": r"\byou\s+(?:said|told|mentioned|wrote|promised|asked|suggested|"
    r"proposed)\b|\byou(?:'d|'ll|\s+will|\s+would|\s+were going to)\s+"
    r"(?!(?:have|get|receive|see|find|be)\b)(?:\w+\s+){0,2}$|\bas you (?:said|asked)\b",
    "de": r"\bsie\s+(?:sagten|meinten|schrieben)\b|\bwie sie (?:sagten|schrieben)\b",
    "fr": r"\bvous (?:avez|aviez) (?:dit|écrit|mentionné|proposé)\b"
    r"|\bcomme vous (?:dites|disiez)\b",
    "ru": r"(?:вы|как вы)\s+(?:сказали|писали|говорили|обещали)",
    "ka": r"(?:თქვით|მითხარით|მოგვწერეთ|როგორც\s+წერთ|თქვენი\s+თქმით)",
    "th": r"(?:คุณ\S{0,4}บอกว่า|ตามที่คุณ)",
}
_THIRD_PARTY = {
    "en": r"\b(?:clients?|customers?|the bank(?!\s+transfer)|head office|parent company|"
    r"investors?)"
    r"(?:'s)?\s+(?:\w+\s+){0,3}$",
    "de": r"\b(?:kunde\w*|bank|auftraggeber\w*)\s+(?:\w+\s+){0,3}$",
    "fr": r"\b(?:client\w*|banque)\s+(?:\w+\s+){0,3}$",
    "ru": r"(?:клиент\w*|заказчик\w*|банк\w*)\s+(?:\S+\s+){0,3}$",
    "ka": r"(?:კლიენტ\w*|დამკვეთ\w*|ბანკ\w*)\s+(?:\S+\s+){0,3}$",
    "th": r"(?:ลูกค้า|ธนาคาร|บริษัทแม่)\S{0,20}$",
}
# Money the client receives ("once we get paid", "we'll receive payment"): only for
# a participle or noun, so "we're paying on Friday" stays a promise.
_GET_PAID = re.compile(
    r"\b(?:we|i)(?:'re|'m|\s+are|\s+am|\s+get|\s+will get|'ll get|\s+will be|'ll be|"
    r"\s+receive|\s+will receive|'ll receive|\s+should get)\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)
_RECEIVED = re.compile(r"paid|payment|money|funds", re.IGNORECASE)
# Right after the verb: the money goes to the client ("pays us", "to me").
_TO_US = {
    "en": r"^\s*(?:\w+\s+)?(?:to\s+)?(?:us|me)\b|^\s*by\s+(?:the|our|their|his|her|head|a)\s+"
    r"(?!end\b|latest\b|close\b|middle\b|start\b|beginning\b|weekend\b|\d)[a-z]+",
    "de": r"^\s*(?:\w+\s+)?(?:uns|mir)\b",
    "fr": r"^\s*(?:\w+\s+)?(?:nous|me)\b(?!\s+(?:vous|le|la|les)\b)",
    "ru": r"^\s*(?:\S+\s+)?(?:нам|мне)\b",
    "ka": r"(?<=გადაგვიხდ)|(?<=გადმოგვირიცხ)",
    "th": r"^\S{0,6}(?:มาให้|ให้เรา|ให้ผม|ให้ดิฉัน|มา(?!ให้คุณ))",
}
_WAIT = {
    "en": r"\b(?:wait|hold on|hold off|bear with us|give (?:us|me)|extend|extension|postpone|"
    r"more time)\b",
    "de": r"\b(?:warten|gedulden|aufschub|verlängern)\b",
    "fr": r"\b(?:attendre|patienter|délai|reporter)\b",
    "ru": r"(?:подожд\w*|подождать|отсроч\w*|потерп\w*)",
    "ka": r"(?:მოიცად\w*|დაგველოდ\w*|დაელოდ\w*|მოგვეცით|ვადის გაგრძელ\w*)",
    "th": r"(?:(?<!ก)รอ(?!บ|ง)|ขอเวลา|เลื่อน|ขยายเวลา)",
}
_QUESTION_START = {
    "en": r"^(?:can|could|would|will|is|are|do|does|shall|should|may|what if|how about)\s+"
    r"(?:you|we|i|it|that|this|the|friday|monday|tuesday|wednesday|thursday|next|end)\b",
    "de": r"^(?:können|könnten|wäre|ist|geht|passt)\s",
    "fr": r"^(?:pouvez|pourriez|est-ce que|serait|peut-on)\b",
    "ru": r"^(?:можете|можно|могли бы|подойдёт|подойдет)\b",
    "ka": r"^(?:შეგიძლიათ|შეიძლება|ხომ)\s",
    "th": r"^(?:ได้ไหม|ได้หรือเปล่า)",
}
_FUTURE_IN_PAST = {
    "en": r"\b(?:was|were)\s+(?:going|planning|hoping|meaning|supposed|about|due|meant)\s+to\b"
    r"|\bhad\s+(?:planned|hoped|intended|meant|wanted|expected)\b|\bwould have\b|\bmeant to\b"
    r"|\bwanted to\b|\bintended to\b|\bwas to\b|\bwere to\b",
    "de": r"\b(?:wollte\w*|hatten vor|hatte vor|hätte\w*|geplant war)\b",
    "fr": r"\b(?:allais|allait|allions|devais|devait|devions|voulais|voulions|aurait|aurions|"
    r"comptions|comptais)\b",
    "ru": r"(?:собирал\w*|хотел\w*|планировал\w*|должны были|должен был|должна была)",
    "ka": r"(?:ვაპირებდ\w*|ვგეგმავდ\w*|მინდოდა|გვინდოდა|უნდა\s+გადაგვეხადა|უნდა\s+გადამეხადა)",
    "th": r"(?:ตั้งใจ(?:ว่า|จะ)|กะว่า|ตอนแรก)",
}
_NEGATED_AFTER = {
    "en": r"^\s*(?:\w+\s+){0,2}?(?:won'?t|will not|can'?t|cannot|isn'?t|is not|aren'?t|"
    r"are not|not(?! later than)|never|unlikely|impossible)\b",
    "de": r"^\s*(?:\w+\s+){0,2}?(?:nicht|kein\w*|nie)\b",
    "fr": r"^\s*(?:\w+\s+){0,2}?(?:pas|jamais|impossible)\b",
    "ru": r"^\s*(?:\S+\s+){0,2}?(?:не|нет|никак)\b",
    "ka": r"^\s*(?:ვერ|არ)\s",
    "th": r"^\S{0,12}?(?:ไม่|ยังไม่)(?!เกิน)",
}
_DOUBT_BEFORE = {
    "en": r"\b(?:not sure|unsure|no guarantee|can'?t (?:promise|guarantee)|cannot (?:promise|"
    r"guarantee)|doubt|unlikely|don'?t know|do not know|no idea|uncertain|not certain)\b",
    "de": r"\b(?:nicht sicher|keine garantie|weiß nicht|wissen nicht)\b",
    "fr": r"\b(?:pas sûr\w*|aucune garantie|je ne sais pas|nous ne savons pas)\b",
    "ru": r"(?:не уверен\w*|не знаю|не знаем|не гарантир\w*)",
    "ka": r"(?:არ\s+ვიცი|დარწმუნებული\s+არ|ვერ\s+დაგპირდებით|გარანტიას\s+ვერ)",
    "th": r"(?:ไม่รู้|ไม่ทราบ|รับปากไม่ได้|ไม่รับปาก|ไม่กล้ารับปาก)",
}
_CLAUSE = re.compile(r"[,;:–—]|\s(?:but|and|so|aber|und|mais|et|но|და|მაგრამ|แต่)\s", _I)
_SUBJECT = re.compile(
    r"\b(?:i|we|he|she|they|it|our|their|his|her|my)\b\s+(?!(?:\w+\s+)?(?:pay|send|transfer)\b)"
    r"|\bthe\s+(?:\w+\s+){1,2}(?:is|are|was|were|will|comes?|goes?|starts?|ends?|meets?|opens?|"
    r"closes?|arrives?|happens?)\b",
    _I,
)


def _any(table: dict[str, str], language: str, text: str) -> bool:
    """Whether ``text`` matches the pattern of ``language`` or English's."""
    return any(
        re.search(table[lang], text, _I)
        for lang in dict.fromkeys((language, "en"))
        if lang in table
    )


def doubt(sentence: str, verb: _Span, date: _Span, language: str) -> str | None:
    """Why the date at ``date`` and the verb at ``verb`` of ``sentence`` promise nothing
    sure (one of the classes above), or None when they do. Never raises."""
    before, after = sentence[: verb.start], sentence[verb.end :]
    checks = (
        ("request_to_wait", _QUESTION_START, sentence.lstrip()),
        ("reported", _REPORTED, before),
        ("hypothetical", _HYPOTHETICAL, before),
        ("future_in_past", _FUTURE_IN_PAST, before),
        ("third_party", _THIRD_PARTY, before[_clause_start(before) :]),
        ("third_party", _TO_US, after),
        ("negated", _NEGATED_AFTER, after),
        ("negated", _DOUBT_BEFORE, before),
        ("hypothetical", _HEDGE_AFTER, after),
        ("condition_after", _CONDITION_AFTER, after),
        ("request_to_wait", _WAIT, _clause_of(sentence, date)),
    )
    for name, table, text in checks:
        if _any(table, language, text):
            return name
    noun = _RECEIVED.fullmatch(sentence[verb.start : verb.end]) is not None
    if noun and _GET_PAID.search(before):
        return "third_party"
    return "other_clause" if _other_clause(sentence, verb, date) else None


def _clause_of(sentence: str, date: _Span) -> str:
    """The clause a date is in, up to the date."""
    before = sentence[: date.start]
    return before[_clause_start(before) :]


def _clause_start(before: str) -> int:
    return max((c.end() for c in _CLAUSE.finditer(before)), default=0)


def _other_clause(sentence: str, verb: _Span, date: _Span) -> bool:
    """The date sits in a clause of its own, after the verb's, with its own subject
    ("we'll pay, the approval comes on Friday"): it dates something else."""
    if date.start < verb.end:
        return False
    between = sentence[verb.end : date.start]
    cuts = list(_CLAUSE.finditer(between))
    if not cuts:
        return False
    return _SUBJECT.search(between[cuts[-1].end() :]) is not None
