"""PURE: the verbs that make a date a promise, and what voids them (docs/promises.md).

``find_verbs(sentence, language)`` lists the payment and delivery verbs of one sentence,
each with ``valid`` False when it is past tense, negated, or conditional (promises.py
Rules 3 and 4). Invariants: English's verbs are always looked for too (clients mix
languages); a verb voided once is never revived by another rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol


class _Span(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Verb:
    """A payment or delivery verb at ``start:end`` of a sentence; ``valid`` if it promises."""

    start: int
    end: int
    kind: str
    valid: bool


@dataclass(frozen=True, slots=True)
class _Lexicon:
    payment: str  # payment verbs and nouns ("payment", "transfer")
    delivery: str
    past: str  # a matched verb that fully matches this is past tense
    negation: str  # before the verb, in its clause
    conditional: str  # before the verb, anywhere in the sentence
    past_after: str = r"(?!x)x"  # right after the verb (Thai แล้ว)
    clause_negation: bool = False  # negation anywhere in the clause (de, fr: "nicht", "pas")
    future: str = r"(?!x)x"  # keeps a past participle a promise ("will be paid")
    adjective: str = r"(?!x)x"  # before a past participle that is an adjective ("the signed")


_EN = _Lexicon(
    payment=r"\b(?:(?:send|sending|sent|make|making|made|process|processing|processed|release|"
    r"releasing|released)\s+(?:you\s+)?(?:the\s+|a\s+|our\s+)?(?:payment|money|funds|transfer|"
    r"remittance|balance|amount)|pay|paying|paid|payment|transfer|transferring|transferred|wire|"
    r"wiring|wired|settle|settling|settled|remit|remitting|remitted|money|funds)\b"
    # an amount is money in any language ("the 1,200 GEL goes out Friday")
    r"|\d[\d,.]*\s?(?:GEL|USD|EUR|THB|RUB|₾|\$|€|บาท|ლარ\w*|руб\w*)(?!\w)",
    delivery=r"\b(?:send|sending|sent|deliver|delivering|delivered|delivery|share|sharing|"
    r"shared|upload|uploading|uploaded|sign|signing|signed|submit|submitting|submitted|provide|"
    r"providing|provided|feedback|comments|approval|(?:get|have)\s+(?:\w+\s+){1,3}?"
    r"(?:back\s+|over\s+)?to you|(?:return|returning|returned)\s+(?:the|it|"
    r"them)|you'?ll (?:have|get|receive))\b",
    past=r"(?:paid|transferred|wired|settled|remitted|sent|delivered|shared|uploaded|signed|"
    r"submitted|provided|returned|made|processed|released)\b.*",
    negation=r"\b(?:can'?t|cannot|can not|couldn'?t|won'?t|wouldn'?t|will not|unable|not able|"
    r"not be able|don'?t|do not|didn'?t|did not|no way|already|never)\b"
    # a request is no promise: "please send", "could you pay"; a topic neither: "about the
    # payment"; "thanks for sending" looks back. Anchored, so "Please note we'll pay" holds.
    r"|\b(?:please|pls|kindly|(?:could|can|would) you)\s+(?:\w+\s+)?$"
    r"|\b(?:for|about|regarding|(?<!')re|concerning)\s+(?:the\s+|your\s+|our\s+|my\s+)?$",
    conditional=r"\b(?:if|unless|once|when|whether|as soon as|provided that)\b",
    past_after=r"^\s*(?:\w+\s+){0,2}?(?:went|was|were|came|cleared|arrived|bounced|"
    r"(?:has|have|had) been)\b",
    future=r"\b(?:be|get|gets|getting)\s+(?:it\s+|this\s+|that\s+|them\s+)?$"
    r"|\bmake sure (?:it'?s|it is|this is|they'?re|they are)\s+$",
    adjective=r"\b(?:the|a|an|your|our|my|their)\s+$",
)

_KA = _Lexicon(
    payment=r"(?:გადავიხ[დ]|გადაგიხ[დ]|გადავუხ[დ]|გადაიხ[დ]|გადაიხად|გადავიხად|გადაგიხად|"
    r"გადავუხად|გადმოგირიცხ|გადმოვრიცხ|გადმოგვირიცხ|ჩაგირიცხ|ჩაგერიცხ|ჩავრიცხ|გადავრიცხ|გადაგირიცხ|"
    r"გადმორიცხ|გადარიცხ|ჩარიცხ|გადახდ|დავფარ|დაგიფარ|ანგარიშსწორებ)\w*",
    delivery=r"(?:გამოგიგზავნ|გამოვაგზავნ|გავგზავნ|გაგიგზავნ|გადმოგიგზავნ|მოგაწოდ|მოგაწვდ|"
    r"ჩაგაბარ|მიიღებ|უკუკავშირ)\w*",
    past=r"\w*(?:ე|ეთ|ხადა|რიცხა|ფარა|ხდილი\w*|რიცხულ\w*|გზავნილ\w*)",
    negation=r"(?:^|\s)(?:ვერ|არ|ვერც|არც|უკვე)\s+(?:\S+\s+)?$",
    conditional=r"(?:^|\s)(?:თუ|თუკი|როცა|როდესაც|სანამ|როგორც კი)\s|გთხოვთ",  # or "please"
)

_TH = _Lexicon(
    payment=r"(?:โอน|จ่าย|ชำระ|เคลียร์ยอด|เคลียร์บิล)",
    delivery=r"(?:ส่ง(?!สลิป|หลักฐาน)|ให้ฟีดแบ็ก|ตอบกลับ|คอมเมนต์)",
    past=r"(?!x)x",
    negation=r"(?:ไม่|ยังไม่|ไม่สามารถ|ไม่ได้|คงไม่|ไม่น่าจะ|ได้)(?:ได้|จะ|สามารถ|ทัน)*\s*$"
    r"|(?:รบกวน|กรุณา|ช่วย)\S{0,6}$",
    conditional=r"(?:ถ้า|หาก|เมื่อ|จนกว่า|ต่อเมื่อ)",
    past_after=r"^\S{0,30}?(?:แล้ว|เรียบร้อย|เมื่อ)|^\S{0,8}?ไม่(?:ได้|ทัน)",
)

_DE = _Lexicon(
    payment=r"\b(?:(?:be)?zahl\w*|überweis\w*|überwiesen|begleich\w*|beglichen|gezahlt)\b",
    delivery=r"\b(?:schick\w*|geschickt|send\w*|gesendet|liefer\w*|geliefert|zusend\w*|"
    r"feedback|erhalten sie|bekommen sie)\b",
    past=r"(?:bezahlt|gezahlt|überwiesen|beglichen|geschickt|gesendet|geliefert)",
    negation=r"\b(?:nicht|kein\w*|nie|schon|bereits|bitte)\b",
    conditional=r"\b(?:wenn|falls|sobald|sofern)\b",
    clause_negation=True,
    future=r"\b(?:wird|werden)\b",
)

_FR = _Lexicon(
    payment=r"\b(?:pay\w*|pai\w*|régl\w*|règlement|vir(?:er|erai|erons|ement|é)\w*|"
    r"vers(?:er|erai|erons|ement|é)\w*)\b",
    delivery=r"\b(?:envo\w*|enverr\w*|livr\w*|transmet\w*|transmis|recevrez)\b",
    past=r"(?:payée?s?|réglée?s?|virée?s?|versée?s?|envoyée?s?|livrée?s?|transmise?s?)",
    negation=r"(?:\bne\b|\bn'|\bpas\b|\bjamais\b|\bdéjà\b|\bmerci de\b|\bveuillez\b)",
    conditional=r"\b(?:si|dès que|quand|lorsque)\b",
    clause_negation=True,
    future=r"\b(?:sera|seront)\b",
)

_RU = _Lexicon(
    payment=r"(?:оплат\w*|оплачен\w*|заплат\w*|перевед\w*|перевел\w*|перевёл\w*|перевод\w*|"
    r"перечисл\w*|плат[её]ж\w*|погас\w*)",
    delivery=r"(?:пришл\w*|прислал\w*|отправ\w*|вышл\w*|выслал\w*|передам|передадим|получите)",
    past=r"(?:оплатил\w*|заплатил\w*|перевел\w*|перевёл\w*|перечислил\w*|погасил\w*|"
    r"оплачен\w*|отправил\w*|прислал\w*|выслал\w*|отправлен\w*)",
    negation=r"(?:^|\s)(?:не|нет|ни|уже)\s+(?:\S+\s+)?$|пожалуйста|прошу",
    conditional=r"(?:^|\s)(?:если|когда|как только|пока)\s",
    future=r"(?:будет|будут)\s+$",
)

LEXICONS = {"en": _EN, "ka": _KA, "th": _TH, "de": _DE, "fr": _FR, "ru": _RU}
_CLAUSE = re.compile(r"[,;:–—]|\s(?:but|aber|mais|но|მაგრამ|แต่)\s", re.IGNORECASE)


def find_verbs(sentence: str, language: str) -> list[Verb]:
    """The payment and delivery verbs of ``sentence``, in its own language and English."""
    verbs: list[Verb] = []
    taken: set[int] = set()
    for lexicon in dict.fromkeys((LEXICONS.get(language, _EN), _EN)):
        for kind, pattern in (("payment", lexicon.payment), ("delivery", lexicon.delivery)):
            for m in re.finditer(pattern, sentence, re.IGNORECASE):
                if taken & set(range(m.start(), m.end())):
                    continue
                taken |= set(range(m.start(), m.end()))
                if re.fullmatch(lexicon.past, m.group(), re.IGNORECASE) and re.search(
                    lexicon.adjective, sentence[: m.start()], re.IGNORECASE
                ):
                    continue  # "the signed contract": an adjective, not a verb
                valid = _valid(sentence, m, lexicon)
                verbs.append(Verb(m.start(), m.end(), kind, valid))
    return [_as_payment(v, verbs, sentence) for v in sorted(verbs, key=lambda v: v.start)]


_RECEIVE = re.compile(
    r"you'?ll (?:have|get|receive)|მიიღებ\w*|получите|erhalten sie|bekommen sie|recevrez",
    re.IGNORECASE,
)


def _as_payment(verb: Verb, verbs: list[Verb], sentence: str) -> Verb:
    """A delivery verb right next to a payment word sends money ("Оплату отправим"); "you'll
    receive it" is a payment in a sentence that speaks of one."""
    near = any(
        v.kind == "payment" and (0 <= verb.start - v.end <= 6 or 0 <= v.start - verb.end <= 6)
        for v in verbs
    )
    receive = _RECEIVE.fullmatch(sentence[verb.start : verb.end]) is not None
    if verb.kind == "delivery" and (near or (receive and any(v.kind == "payment" for v in verbs))):
        return Verb(verb.start, verb.end, "payment", verb.valid)
    return verb


def _valid(sentence: str, m: re.Match[str], lexicon: _Lexicon) -> bool:
    """Rule 4: not past tense, not negated in its clause, not conditional."""
    before = sentence[: m.start()]
    clause_start = max((c.end() for c in _CLAUSE.finditer(before)), default=0)
    clause = before[clause_start:]
    flags = re.IGNORECASE
    if re.fullmatch(lexicon.past, m.group(), flags) and not (
        re.search(lexicon.future, before, flags)
        if lexicon.clause_negation
        else re.search(lexicon.future, clause, flags)
    ):
        return False
    if re.search(lexicon.past_after, sentence[m.end() :], flags):
        return False
    if re.search(lexicon.conditional, before, flags):
        return False
    if lexicon.clause_negation:
        after = sentence[m.end() :]
        clause_end = min((c.start() for c in _CLAUSE.finditer(after)), default=len(after))
        return not re.search(lexicon.negation, clause + m.group() + after[:clause_end], flags)
    return not re.search(lexicon.negation, clause, flags)


_QUESTION = re.compile(r"\?|(?:ไหม|มั้ย|หรือเปล่า|หรือยัง|ใช่ไหม|เหรอ)\S{0,6}$")
_DISTRACTORS = re.compile(
    r"\b(?:due|call|meeting|meet|chat|talk|discuss|demo|presentation|workshop|interview|closed|"
    r"holidays?|vacation|off|away|out of (?:the )?office|ooo|back|travell?ing|flight|lunch|"
    r"dinner|party|anruf|telefonat|termin|besprechung|urlaub|zurück|geschlossen|appel|réunion|"
    r"rendez-vous|vacances|retour|fermé|congé|звонок|созвон\w*|встреч\w*|отпуск\w*|вернусь|"
    r"выходн\w*)\b|ზარ\w*|შეხვედრ\w*|შევხვდეთ|დავრეკ\w*|დაგირეკ\w*|შვებულებ\w*|დავბრუნდ\w*|დასვენებ\w*|"
    r"ვადა\w*|"  # the due date stated ("გადახდის ვადა 30 ნოემბერია"), as "due" is
    r"ประชุม|โทร|คุย|ลาพัก|หยุด|กลับมา|เจอกัน|นัด|ครบกำหนด",
    re.IGNORECASE,
)
_NOT_BEFORE_DATE = re.compile(r"(?:\bnot|\bnicht|\bpas|\bне|ไม่)\s*(?:\w+\s+)?$", re.IGNORECASE)


def is_question(sentence: str, language: str) -> bool:
    """Whether ``sentence`` asks rather than says (a question promises nothing)."""
    return _QUESTION.search(sentence.strip()) is not None


def blocked_by_distractor(sentence: str, date: _Span, verb_distance: int) -> bool:
    """Whether the date at ``date`` belongs to something else: a meeting or absence word
    nearer to it than its verb, or a "not" right before it ("not Monday")."""
    if _NOT_BEFORE_DATE.search(sentence[: date.start]):
        return True
    for m in _DISTRACTORS.finditer(sentence):
        low, high = (
            sorted((m.end(), date.start)) if m.end() <= date.start else (date.end, m.start())
        )
        if _CLAUSE.search(sentence[low:high]):
            continue  # "off until Monday; we'll pay next week": another clause's date
        gap = date.start - m.end() if m.end() <= date.start else max(0, m.start() - date.end)
        if gap <= verb_distance:
            return True
    return False
