"""The summary in the user's language: complete catalogues, no English left, plurals,
dates and reasons said from their clauses."""

from __future__ import annotations

import html as htmllib
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ghostwatch.core import i18n
from ghostwatch.core.domain import why
from ghostwatch.core.i18n import Translator, catalogue, languages, po_path
from ghostwatch.core.reasons import ENGLISH, TEMPLATE_LABELS
from ghostwatch.core.summary.facts import NudgeInfo, SummaryData
from ghostwatch.core.summary.render import build_summary
from ghostwatch.core.summary.rows import view
from ghostwatch.core.summary.words import Words
from ghostwatch.tools.i18n_catalog import problems, template
from ghostwatch.tools.summary_sample import NOW, sample_data

ROOT = Path(__file__).resolve().parents[3]
TRANSLATED = ("ka", "th")
TBILISI = ZoneInfo("Asia/Tbilisi")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def test_english_georgian_and_thai_are_shipped() -> None:
    assert set(languages()) >= {"en", *TRANSLATED}


@pytest.mark.parametrize("language", [lang for lang in languages() if lang != "en"])
def test_every_catalogue_translates_every_message(language: str) -> None:
    assert problems(language) == []


def test_the_messages_include_every_reason_code_and_template_label() -> None:
    pot = template()
    for code, english in ENGLISH.items():
        assert pot.get(english, code) is not None, code
    for label in TEMPLATE_LABELS.values():
        assert pot.get(label, "template") is not None, label
    assert pot.get("Needs you") is not None  # and the ones Babel finds in the code


def _ka_without(tmp_path: Path, drop: str) -> Path:
    """A copy of the Georgian catalogue without the entry whose msgid is ``drop``."""
    text = po_path("ka").read_text(encoding="utf-8")
    entries = text.split("\n\n")
    kept = [e for e in entries if f'msgid "{drop}"' not in e]
    assert len(kept) == len(entries) - 1
    out = tmp_path / "ka.po"
    out.write_text("\n\n".join(kept), encoding="utf-8")
    return out


def test_a_message_without_its_translation_is_found(tmp_path: Path) -> None:
    found = problems("ka", _ka_without(tmp_path, "Needs you"))
    assert found == ["ka: |'Needs you': missing"]


def test_wrong_placeholders_and_fuzzy_entries_are_found(tmp_path: Path) -> None:
    text = po_path("ka").read_text(encoding="utf-8")
    text = text.replace('msgstr "საფოსტო ყუთი: {account}"', 'msgstr "საფოსტო ყუთი: {acount}"')
    text = text.replace('msgid "Invoices"', '#, fuzzy\nmsgid "Invoices"')
    path = tmp_path / "ka.po"
    path.write_text(text, encoding="utf-8")
    found = problems("ka", path)
    assert any("for {account}" in p and "placeholders" in p for p in found), found
    assert any("'Invoices'" in p and "fuzzy" in p for p in found), found


# --- no English left ----------------------------------------------------------------


def _outside_words(language: str) -> set[str]:
    """What the sample summary may show untranslated: names, subjects, addresses,
    invoice numbers and amounts, the server's own error text, and the program's name."""
    data = sample_data(language)
    allowed = {data.account, "ghostwatch status", "ghostwatch"}
    for c in data.clients:
        allowed |= {c.name, c.subject, c.their_subject, *(a for a, _ in c.bouncing)}
    for n in (*data.sent, *data.upcoming):
        allowed |= {n.client, n.to, *(str(v) for w in n.why for _, v in w.args)}
    for inv in data.invoices:
        allowed |= {inv.client, inv.number, inv.amount}
    for h in data.health:
        allowed |= {h.account, h.error or ""}
    return {a for a in allowed if a}


def _visible_text(page: str) -> str:
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_summary_has_no_english_word_outside_names_and_data(language: str) -> None:
    summary = build_summary(sample_data(language), NOW)
    for part in (summary.subject, summary.text, _visible_text(summary.html)):
        # Longest first, so "ghostwatch status" goes before "ghostwatch".
        for allowed in sorted(_outside_words(language), key=len, reverse=True):
            part = part.replace(allowed, " ")
        assert LATIN_WORD.findall(part) == []


def test_the_english_summary_would_fail_that_test() -> None:
    # The check above can fail: the same sample in English is full of English words.
    text = build_summary(sample_data("en"), NOW).text
    for allowed in sorted(_outside_words("en"), key=len, reverse=True):
        text = text.replace(allowed, " ")
    assert len(LATIN_WORD.findall(text)) > 50


# --- plurals, dates, zones ------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "written"),
    [("ka", "ka"), ("th-TH", "th"), ("ka_GE", "ka"), ("en-GB", "en"), ("xx", "en")],
)
def test_a_regional_code_finds_its_language(asked: str, written: str) -> None:
    assert i18n.resolve(asked) == written
    assert Translator(asked, TBILISI).language == written


def test_plurals_are_gettext_plural_forms() -> None:
    ka, th = catalogue("ka"), catalogue("th")
    assert [ka.ngettext("{n} day", "{n} days", n) for n in (1, 2)] == ["{n} დღე", "{n} დღე"]
    assert th.ngettext("{n} hour", "{n} hours", 5) == "{n} ชั่วโมง"
    en = Words("en", TBILISI)
    assert (en.days(1), en.days(2)) == ("1 day", "2 days")
    assert Words("ka", TBILISI).days(17) == "17 დღე"


@pytest.mark.parametrize(
    ("language", "day", "full"),
    [
        ("en", "Tue 24 Nov", "24 November 2026"),
        ("ka", "სამ, 24 ნოე", "24 ნოემბერი, 2026"),
        ("th", "อังคาร 24 พ.ย.", "24 พฤศจิกายน 2569"),  # Buddhist era
    ],
)
def test_dates_as_each_language_writes_them(language: str, day: str, full: str) -> None:
    t = Translator(language, TBILISI)
    assert t.day(date(2026, 11, 24)) == day
    assert t.full_date(date(2026, 11, 24)) == full


def test_times_are_in_the_zone_and_the_zone_has_a_local_name() -> None:
    at = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)  # 09:00 in Tbilisi
    assert Translator("en", TBILISI).at(at) == "Thu 26 Nov 09:00"
    assert Translator("ka", TBILISI).at(at) == "ხუთ, 26 ნოე, 09:00"
    assert Translator("th", ZoneInfo("Asia/Bangkok")).at(at) == "พฤหัส 26 พ.ย. เวลา 12:00 น."
    assert Translator("ka", TBILISI).zone_name() == "საქართველოს დრო"
    assert Translator("th", ZoneInfo("Asia/Bangkok")).zone_name() == "เวลาไทย"
    assert Translator("th", ZoneInfo("UTC")).zone_name() == "เวลามาตรฐานกรีนิช"
    assert Translator("en", ZoneInfo("UTC")).zone_name() == "UTC"


def test_a_zone_cldr_names_by_its_place_fits_the_sentence() -> None:
    """CLDR names Bangkok in Georgian only by its region format ("დრო: ტაილანდი"): the
    summary line must not read "სასაათო სარტყელი: დრო: ტაილანდი."."""
    ka = Translator("ka", ZoneInfo("Asia/Bangkok"))
    assert ka._("Times in {zone}.", zone=ka.zone_name()) == "სასაათო სარტყელი: ტაილანდი."
    assert Translator("th", ZoneInfo("Asia/Tbilisi")).zone_name() == "เวลาจอร์เจีย"


def test_a_thai_summary_shows_the_buddhist_year() -> None:
    rows = view(sample_data("th"), NOW)
    assert rows["date"].endswith("2569") and "2026" not in rows["date"]


# --- reasons ----------------------------------------------------------------------------

_DATES = {"since", "until", "due", "on", "returned", "last"}
_INTS = {"days", "nudges", "count", "step", "limit"}


def _sample_args(english: str) -> dict[str, object]:
    args: dict[str, object] = {}
    for name in re.findall(r"\{(\w+)\}", english):
        if name in _DATES:
            args[name] = date(2026, 11, 14)
        elif name in _INTS:
            args[name] = 3
        elif name == "at":
            args[name] = datetime(2026, 11, 14, 9, 30, tzinfo=UTC)
        elif name == "template":
            args[name] = "check_in"
        else:
            args[name] = "ZZ"
    return args


@pytest.mark.parametrize("code", sorted(ENGLISH))
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_reason_code_is_said_in_the_language(language: str, code: str) -> None:
    args = _sample_args(ENGLISH[code])
    said = Words(language, TBILISI).clause(why(code, **args))
    assert "{" not in said
    # What is left once the arguments' own text ("ZZ") is gone is the language's.
    assert LATIN_WORD.findall(said.replace("ZZ", "")) == []
    if _DATES & set(args) or "at" in args:
        assert "14" in said  # the date was written in, as that language writes it


def _nudge(**kw: object) -> NudgeInfo:
    clause = why(
        "silence.due", client="Acme", days=8, since=date(2026, 11, 15), template="check_in"
    )
    base: dict[str, object] = {
        "client": "Acme",
        "template": "check_in",
        "at": datetime(2026, 11, 26, 5, tzinfo=UTC),
        "status": "scheduled",
        "reason": "Acme: 8 days since your message of 15 Nov; check-in due",
        "why": (clause,),
    }
    return NudgeInfo(**{**base, **kw})  # type: ignore[arg-type]


def _detail(language: str, nudge: NudgeInfo) -> str:
    data = SummaryData("studio", "Asia/Tbilisi", language=language, upcoming=(nudge,))
    return str(view(data, NOW)["next"][0]["detail"])


def test_a_reason_is_said_from_its_clauses() -> None:
    assert _detail("en", _nudge()) == "8 days since your message of Sun 15 Nov; check-in due"
    ka = _detail("ka", _nudge())
    assert ka == "თქვენი წერილიდან (კვი, 15 ნოე) გავიდა 8 დღე; დროა: მოკითხვა"
    assert "ผ่านมา 8 วัน" in _detail("th", _nudge())


def test_the_english_reason_is_the_fallback_only_without_clauses() -> None:
    bare = _nudge(why=(), to="jane@acme.example")
    assert _detail("en", bare) == "8 days since your message of 15 Nov; check-in due"
    assert _detail("ka", bare) == "მიმღები: jane@acme.example"
    assert _detail("th", _nudge(why=())) == ""


def test_clauses_are_joined_in_the_language() -> None:
    clauses = (why("held.owe_reply"), why("held.daily_limit", limit=20))
    said = _detail("th", _nudge(why=clauses, status="held"))
    assert said == "ระงับไว้: ลูกค้ายังรอคำตอบจากคุณ · ระงับไว้: ส่งครบ 20 ฉบับตามที่กำหนดต่อวันแล้ว"


# --- the wheel --------------------------------------------------------------------------


@pytest.mark.slow
def test_the_wheel_ships_the_catalogues(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    shutil.copytree(
        ROOT,
        tmp_path / "src",
        ignore=shutil.ignore_patterns(".venv", ".git", "*cache*", "__pycache__", "dist"),
    )
    argv = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run([*argv, "-w", str(tmp_path / "dist"), str(tmp_path / "src")], check=True)
    (wheel,) = (tmp_path / "dist").glob("ghostwatch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for language in TRANSLATED:
        assert f"ghostwatch/core/locale/{language}/LC_MESSAGES/ghostwatch.po" in names
    assert "ghostwatch/core/summary/templates/summary.html" in names
    # The installed package reads them with no build step: unpack and render from there.
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    code = (
        "from ghostwatch.core import i18n;"
        "from ghostwatch.core.summary.render import build_summary;"
        "from ghostwatch.tools.summary_sample import sample_data, NOW;"
        "assert i18n.LOCALE_DIR.is_relative_to(__import__('pathlib').Path.cwd());"
        "print(build_summary(sample_data('ka'), NOW).subject)"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, '.'); {code}"],
        cwd=tmp_path / "site",
        capture_output=True,
        text=True,
        check=True,
    )
    assert "თქვენთვის" in done.stdout
    assert i18n.LOCALE_DIR.is_dir()


def test_georgian_calls_an_invoice_invoisi() -> None:
    # "ანგარიში" is an account or a bill; freelancers' clients say "ინვოისი".
    text = po_path("ka").read_text(encoding="utf-8")
    assert "ანგარიშ" not in text
    assert Words("ka", TBILISI)._("Invoice") == "ინვოისი"


def test_a_thai_heading_is_underlined_to_its_width_in_columns() -> None:
    text = build_summary(sample_data("th"), NOW).text
    heading = "รอคุณดำเนินการ"  # two of its 14 characters are vowel marks above the line
    assert f"\n{heading}\n{'=' * 12}\n" in text
    assert i18n.display_width(heading) == 12
