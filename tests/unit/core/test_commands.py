"""The summary-command grammar and labels (docs/commands.md): pure, no servers."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from ghostwatch.core import command_words
from ghostwatch.core.commands import (
    VARIANTS,
    VERBS,
    Command,
    Target,
    find_tokens,
    parse,
    resolve,
    threads_to,
)
from ghostwatch.core.i18n import Translator

CLIENTS = ["Acme Ltd", "Globex", "Globex Asia", "Hooli"]
LABELS = {
    "1": {"client": "Globex", "kind": "needs"},
    "2": {"client": "Acme Ltd", "kind": "next", "template": "check_in"},
    "3": {"client": "Hooli", "kind": "invoice", "invoice": "INV-2026-031"},
}


def one(line: str) -> Command:
    commands, unparsed = parse(line)
    assert unparsed == [], unparsed
    [command] = commands
    return command


@pytest.mark.parametrize(
    ("line", "verb", "target"),
    [
        ("skip 2", "skip", "2"),
        ("  Skip   2. ", "skip", "2"),
        ("- skip #2", "skip", "2"),
        ("SKIP 2!", "skip", "2"),
        ("hold Acme", "hold", "acme"),
        ("send 3 now", "send", "3"),
        ("paid INV-2026-031", "paid", "inv-2026-031"),
        ("resume Hooli", "resume", "hooli"),
        ("გამოტოვე 2", "skip", "2"),
        ("შეაჩერე Acme", "hold", "acme"),
        ("გაგზავნე 3 ახლავე", "send", "3"),
        ("გადახდილია INV-2026-031", "paid", "inv-2026-031"),
        ("განაახლე Hooli", "resume", "hooli"),
        ("ข้าม 2", "skip", "2"),
        ("ข้าม2", "skip", "2"),
        ("ระงับ Acme", "hold", "acme"),
        ("ส่ง 3 เดี๋ยวนี้", "send", "3"),
        ("จ่ายแล้ว INV-2026-031", "paid", "inv-2026-031"),
        ("ทำต่อ Hooli", "resume", "hooli"),
    ],
)
def test_each_verb_in_each_language(line: str, verb: str, target: str) -> None:
    command = one(line)
    assert (command.verb, command.target) == (verb, target)


@pytest.mark.parametrize(
    ("line", "verb"),
    [("pause", "pause"), ("Unpause.", "unpause"), ("პაუზა", "pause"), ("გააგრძელე", "unpause"),
     ("หยุดส่ง", "pause"), ("เริ่มส่ง", "unpause")],
)  # fmt: skip
def test_pause_and_unpause_take_nothing(line: str, verb: str) -> None:
    assert one(line).verb == verb


@pytest.mark.parametrize(
    ("line", "span", "until"),
    [
        ("snooze Globex 2w", timedelta(days=14), None),
        ("snooze Globex 10d", timedelta(days=10), None),
        ("snooze Globex 2 weeks", timedelta(days=14), None),
        ("გადადე Globex 2 კვირა", timedelta(days=14), None),
        ("เลื่อน Globex 3 วัน", timedelta(days=3), None),
        ("snooze Acme Ltd 2026-12-01", None, date(2026, 12, 1)),
    ],
)
def test_snooze_takes_a_span_or_a_date(
    line: str, span: timedelta | None, until: date | None
) -> None:
    command = one(line)
    assert (command.verb, command.span, command.until) == ("snooze", span, until)
    assert command.target in ("globex", "acme ltd")


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("send 3", "send needs now"),
        ("skip", "no target"),
        ("snooze Globex", "bad duration"),
        ("snooze Globex 0d", "bad duration"),
        ("snooze Globex soon", "bad duration"),
        ("pause Globex", "unknown"),
        ("Hi ghostwatch,", "unknown"),
        ("skipping 2", "unknown"),
        ("expect Acme 2026-11-27", "expect needs client, invoice and date"),
    ],
)
def test_nothing_is_guessed(line: str, why: str) -> None:
    commands, unparsed = parse(line)
    assert commands == [] and [u.why for u in unparsed] == [why]
    assert unparsed[0].line == line.strip(" ,.")


def test_blank_lines_and_the_key_are_not_commands() -> None:
    commands, unparsed = parse("\n\nskip 2 gw-abcdefghjkmn\n  \ngw-abcdefghjkmn\n")
    assert [c.line for c in commands] == ["skip 2"] and unparsed == []


def test_expect_is_parsed() -> None:
    command = one("expect Acme INV-7 2026-11-27")
    assert (command.target, command.invoice, command.on) == ("acme", "INV-7", date(2026, 11, 27))


@pytest.mark.parametrize(
    ("line", "target", "what", "on", "clear"),
    [
        ("expect Acme logo 2026-11-13", "acme", "logo", date(2026, 11, 13), False),
        ('expect Acme Ltd "logo feedback" 2026-11-13', "acme ltd", "logo feedback",
         date(2026, 11, 13), False),
        ("expect Acme Ltd “logo feedback” 2026-11-13", "acme ltd", "logo feedback",
         date(2026, 11, 13), False),
        ("expect Acme INV-7 clear", "acme", "INV-7", None, True),
        ("Expect 3 logo None.", "3", "logo", None, True),
        ("ველოდები Acme logo გაუქმება", "acme", "logo", None, True),
        ("รอ Acme logo ยกเลิก", "acme", "logo", None, True),
    ],
)  # fmt: skip
def test_expect_names_a_deadline_or_clears(
    line: str, target: str, what: str, on: date | None, clear: bool
) -> None:
    command = one(line)
    assert (command.target, command.invoice, command.on, command.clear) == (target, what, on, clear)


def test_tokens_are_found_case_insensitively() -> None:
    assert find_tokens("key: GW-ABCDEFGHJKMN, and gw-23456789abcd") == [
        "abcdefghjkmn",
        "23456789abcd",
    ]
    assert find_tokens("gw-abc (too short) gw-abcdefghjkmnp (too long)") == []


def test_threads_to_compares_ids_whatever_their_case() -> None:
    ids = frozenset({"<gw.summary1@studio.example>"})
    assert threads_to(None, ("<x@y>", "<GW.Summary1@studio.example>"), ids)
    assert threads_to("<gw.summary1@studio.example>", (), ids)
    assert not threads_to("<other@studio.example>", ("<x@y>",), ids)
    assert not threads_to("<gw.summary1@studio.example>", (), frozenset())


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("skip 2", Target("Acme Ltd", "next", "check_in")),
        ("hold Acme", Target("Acme Ltd")),
        ("hold acme ltd", Target("Acme Ltd")),
        ("hold Globex", Target("Globex")),  # exact beats "Globex Asia"
        ("hold Glo", "ambiguous"),
        ("hold Initech", "unknown target"),
        ("skip 9", "unknown target"),
        ("paid INV-2026-031", Target("Hooli", "invoice", invoice="INV-2026-031")),
        ("paid 3", Target("Hooli", "invoice", invoice="INV-2026-031")),
    ],
)
def test_resolve_names_only_what_the_summary_or_the_config_names(
    line: str, expected: Target | str
) -> None:
    command = one(line)
    invoices = {"INV-2026-031": "Hooli"}
    assert resolve(command, LABELS, CLIENTS, invoices) == expected


def test_every_verb_has_an_english_georgian_and_thai_word() -> None:
    for verb, words in VERBS.items():
        assert len(words) == 3 and len(set(words)) == 3, verb
    every = [w for words in (*VERBS.values(), *VARIANTS.values()) for w in words]
    assert len(every) == len(set(every))
    assert set(VARIANTS) <= set(VERBS)


@pytest.mark.parametrize(
    ("verb", "word"), [(verb, word) for verb, words in VARIANTS.items() for word in words]
)
def test_every_variant_says_its_verb(verb: str, word: str) -> None:
    line = {
        "pause": word,
        "unpause": word,
        "send": f"{word} 3 now",
        "snooze": f"{word} Globex 2w",
        "expect": f"{word} Acme INV-7 2026-11-27",
    }.get(verb, f"{word} 2")
    assert one(line).verb == verb


@pytest.mark.parametrize(
    ("line", "verb", "target"),
    [
        ("ข้าม 2 ครับ", "skip", "2"),
        ("ข้าม 2 ด้วยค่ะ", "skip", "2"),
        ("ระงับ Acme นะคะ", "hold", "acme"),
        ("ส่ง 3 เลยค่ะ", "send", "3"),
        ("ส่ง 3เลย", "send", "3"),
        ("ส่ง3ทันทีครับ", "send", "3"),
        ("გააგზავნე 3 ეხლავე", "send", "3"),
        ("ชำระแล้ว INV-2026-031 ครับผม", "paid", "inv-2026-031"),
    ],
)
def test_thai_particles_and_a_glued_now_are_forgiven(line: str, verb: str, target: str) -> None:
    command = one(line)
    assert (command.verb, command.target) == (verb, target)


@pytest.mark.parametrize(
    ("line", "why"),
    [("ส่ง 3 ครับ", "send needs now"), ("หยุดส่ง Acme ค่ะ", "unknown"), ("ขอบคุณครับ", "unknown")],
)
def test_a_particle_is_not_a_word_of_the_command(line: str, why: str) -> None:
    commands, unparsed = parse(line)
    assert commands == [] and [u.why for u in unparsed] == [why]
    assert parse("ครับ") == ([], [])  # a line of courtesy alone holds no command


def test_labels_number_the_actionable_rows_in_order() -> None:
    needs = [{"name": "Globex"}, {"name": ""}]  # the second: a refused reply, no client
    nxt = [{"name": "Acme Ltd", "template": "check_in"}]
    invoices = [{"name": "Hooli", "number": "INV-1", "paid": ""}, {"name": "Hooli", "paid": "yes"}]
    labels = command_words.assign(needs, nxt, invoices)
    assert labels == {
        "1": {"client": "Globex", "kind": "needs"},
        "2": {"client": "Acme Ltd", "kind": "next", "template": "check_in"},
        "3": {"client": "Hooli", "kind": "invoice", "invoice": "INV-1"},
    }
    assert [r.get("cmd") for r in (*needs, *nxt, *invoices)] == ["1", None, "2", "3", None]


def test_quoted_text_and_the_signature_hold_no_command() -> None:
    """What the shell parses is ``promises.new_text`` of the reply's text part."""
    from ghostwatch.core.promises.reader import new_text

    body = (
        "skip 2\ngw-abcdefghjkmn\n-- \nNino\npause\n\n"
        "On Mon, 9 Nov 2026 at 08:30, ghostwatch wrote:\n> unpause\n> gw-23456789abcd\n"
    )
    text = new_text(body, "en")
    commands, unparsed = parse(text)
    assert [c.line for c in commands] == ["skip 2"] and unparsed == []
    assert find_tokens(text) == ["abcdefghjkmn"]


@pytest.mark.parametrize(
    ("language", "example"),
    [("en", "“skip 1”"), ("ka", "„გამოტოვე 1“"), ("th", "“ข้าม 1”")],
)
def test_the_help_line_quotes_as_its_language_does(language: str, example: str) -> None:
    w = Translator(language, ZoneInfo("UTC"))
    labels = {"1": {"client": "Acme Ltd", "kind": "next"}}
    assert example in command_words.help_line(w, "k3m9qxt2hbve", labels)["help"]
