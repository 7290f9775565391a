"""TemplateSet: lookup order, sandbox, path safety, check(), and the built-ins."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ghostwatch.core.human_dates import format_date
from ghostwatch.core.templates import (
    BUILTIN_NAMES,
    LANGUAGES,
    TemplateSet,
    sample_context,
)
from ghostwatch.errors import TemplateError


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def tdir(tmp_path: Path) -> Path:
    write(tmp_path / "ka" / "check_in.txt", "user-ka\n")
    write(tmp_path / "check_in.txt", "user-root\n")
    write(tmp_path / "closing_notice.txt", "user-root-closing\n")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "language", "expected"),
    [
        ("check_in", "ka", "user-ka\n"),  # <dir>/<language>/
        ("check_in", "th", "user-root\n"),  # <dir>/
        ("closing_notice", "ka", "user-root-closing\n"),  # <dir>/ before built-in ka
        # built-in, ka (the sample context has two invoices)
        ("payment_reminder", "ka", "Subject: ინვოისები INV-2026-014, INV-2026-015\n"),
        ("payment_reminder", "fr", "Subject: Invoices INV-2026-014, INV-2026-015\n"),
    ],
)
def test_lookup_order(tdir: Path, name: str, language: str, expected: str) -> None:
    text, html = TemplateSet(tdir).render(name, language, sample_context(language))
    assert text.startswith(expected)
    assert html is None


def test_html_comes_from_the_same_place_and_is_autoescaped(tmp_path: Path) -> None:
    write(tmp_path / "check_in.txt", "Hi {{ client.first_name }}\n")
    write(tmp_path / "check_in.html", "<p>Hi {{ client.first_name }}</p>\n")
    ctx = sample_context()
    ctx["client"] = {"name": "x", "first_name": "<b>Jane & co</b>"}
    text, html = TemplateSet(tmp_path).render("check_in", "en", ctx)
    assert text == "Hi <b>Jane & co</b>\n"
    assert html == "<p>Hi &lt;b&gt;Jane &amp; co&lt;/b&gt;</p>\n"
    # a built-in text never pairs with a user's html of another template
    assert TemplateSet(tmp_path).get("work_paused", "en")[1] is None


def test_missing_template_names_every_path_tried(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as caught:
        TemplateSet(tmp_path).get("nope", "ka")
    message = str(caught.value)
    for tried in (f"{tmp_path}/ka/nope.txt", f"{tmp_path}/nope.txt", "<built-in ka>/nope.txt"):
        assert tried in message
    assert "<built-in en>/nope.txt" in message


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ 'x' * 100000000 }}",
        "{{ 10 ** 100000000 }}",
    ],
)
def test_sandbox_blocks_escapes(tmp_path: Path, source: str) -> None:
    write(tmp_path / "evil.txt", source)
    with pytest.raises(TemplateError):
        TemplateSet(tmp_path).render("evil", "en", sample_context())


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("../secret", "en"),
        ("..", "en"),
        ("a/b", "en"),
        ("check_in", "../.."),
        ("check_in.txt", "en"),
        ("", "en"),
        ("check_in", "en/../x"),
        ("/etc/passwd", "en"),
    ],
)
def test_path_traversal_names_rejected(tmp_path: Path, name: str, language: str) -> None:
    write(tmp_path.parent / "secret.txt", "leak")
    with pytest.raises(TemplateError, match="invalid template"):
        TemplateSet(tmp_path / "sub").get(name, language)


def test_check_reports_syntax_error_with_file_and_line(tmp_path: Path) -> None:
    write(tmp_path / "broken.txt", "line one\n{{ foo( }}\nline three\n")
    write(tmp_path / "ka" / "unclosed.txt", "line one\nline two\n{% if x %}\n")
    problems = TemplateSet(tmp_path).check([("broken", "en"), ("unclosed", "ka")])
    assert problems[0].startswith(f"template 'broken' (en): {tmp_path / 'broken.txt'}:2: syntax")
    assert f"{tmp_path / 'ka' / 'unclosed.txt'}:3: syntax error" in problems[1]


def test_check_reports_undefined_variable(tmp_path: Path) -> None:
    write(tmp_path / "typo.txt", "Hi {{ client.frist_name }}\n")
    write(tmp_path / "ok.txt", "Hi {{ client.first_name }}, {{ invoice.number }}\n")
    problems = TemplateSet(tmp_path).check([("typo", "en"), ("ok", "en"), ("missing", "th")])
    assert len(problems) == 2
    assert "frist_name" in problems[0]
    assert "'missing'" in problems[1] and "not found" in problems[1]


def test_every_builtin_renders_in_every_language() -> None:
    templates = TemplateSet(None)
    pairs = [(name, lang) for name in BUILTIN_NAMES for lang in LANGUAGES]
    assert templates.check(pairs) == []
    for name, lang in pairs:
        text, html = templates.render(name, lang, sample_context(lang))
        assert text.startswith("Subject: ")
        assert "Nino Beridze" in text.splitlines()[-1]
        assert "{{" not in text and "{%" not in text
        assert html is None


@pytest.mark.parametrize("lang", LANGUAGES)
def test_builtins_render_without_a_thread(lang: str) -> None:
    ctx = sample_context(lang) | {"thread": None, "invoice": None, "deadline": None}
    for name in ("check_in", "closing_notice"):
        TemplateSet(None).render(name, lang, ctx)


def test_thai_builtins_use_no_gendered_particles() -> None:
    for name in BUILTIN_NAMES:
        text, _ = TemplateSet(None).render(name, "th", sample_context("th"))
        assert "ครับ" not in text and "ค่ะ" not in text


@pytest.mark.parametrize(
    ("day", "language", "expected"),
    [
        (date(2026, 12, 1), "en", "1 December 2026"),
        (date(2026, 12, 1), "ka", "1 დეკემბერი 2026"),
        (date(2026, 12, 1), "th", "1 ธันวาคม 2569"),
        (date(2026, 1, 31), "xx", "31 January 2026"),
    ],
)
def test_format_date(day: date, language: str, expected: str) -> None:
    assert format_date(day, language) == expected


def test_empty_dir_means_builtins_only() -> None:
    assert TemplateSet("").directory is None


def _shapes(lang: str) -> dict[str, dict[str, Any]]:
    """The sample context and the variations a real message can take."""
    shapes = {
        name: sample_context(lang)
        for name in (
            "full",
            "one_invoice",
            "no_deadlines",
            "two_deadlines",
            "returned",
            "no_thread",
            "no_first_name",
            "no_close_on",
        )
    }
    shapes["one_invoice"]["invoices"] = shapes["one_invoice"]["invoices"][:1]
    shapes["no_deadlines"]["deadlines"] = []
    extra = shapes["two_deadlines"]["deadlines"][0] | {"what": "the homepage copy"}
    shapes["two_deadlines"]["deadlines"].append(extra)
    shapes["returned"]["returned"] = True
    shapes["no_thread"]["thread"] = None
    shapes["no_first_name"]["client"]["first_name"] = ""
    shapes["no_close_on"]["close_on"] = None
    return shapes


INVOICE_TEMPLATES = ("payment_reminder", "work_paused", "work_resumed")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_every_builtin_renders_cleanly_in_every_shape(name: str, lang: str) -> None:
    for shape, ctx in _shapes(lang).items():
        text, _ = TemplateSet(None).render(name, lang, ctx)
        where = f"{name} ({lang}, {shape})"
        assert text.startswith("Subject: "), where
        assert "{{" not in text and "{%" not in text and "}}" not in text, where
        assert "ანგარიში" not in text, where  # Georgian: an invoice is "ინვოისი"
        assert "พักงานชั่วคราว" not in text, where  # Thai: "แจ้งหยุดดำเนินงานชั่วคราว"
        assert "\n\n\n" not in text, where
        assert "Nino Beridze" in text.splitlines()[-1], where
        if name in INVOICE_TEMPLATES:
            for invoice in ctx["invoices"]:
                assert invoice["number"] in text, where
        if name in ("payment_reminder", "deadline_reminder"):
            for deadline in ctx["deadlines"]:
                assert deadline["what"] in text, where
        if name == "closing_notice" and ctx["close_on"] is not None:
            assert ctx["close_on"].until in text, where
        if ctx["returned"] and name in ("check_in", "deadline_reminder", "payment_reminder"):
            plain, _ = TemplateSet(None).render(name, lang, sample_context(lang))
            assert len(text) > len(plain), where  # the welcome-back paragraph
        if lang == "th":
            for gendered in ("ครับ", "ค่ะ", "ผม", "ดิฉัน"):
                assert gendered not in text, where
        if not ctx["client"]["first_name"]:
            greeting = text.splitlines()[1]
            assert greeting in ("Hello,", "გამარჯობათ,", "เรียน ท่านผู้เกี่ยวข้อง"), where


@pytest.mark.parametrize(
    ("first_name", "greeting"), [("Jane", "เรียน คุณ Jane"), ("สมชาย", "เรียน คุณสมชาย")]
)
def test_thai_greeting_spaces_only_before_latin_script(first_name: str, greeting: str) -> None:
    ctx = sample_context("th")
    ctx["client"]["first_name"] = first_name
    text, _ = TemplateSet(None).render("check_in", "th", ctx)
    assert text.splitlines()[1] == greeting


# --- the step budget: a render cannot run away ----------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        # 1,000,000 iterations: finishes in about a second without the budget, so this
        # fails (renders) if the budget is gone, rather than hanging
        "{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}",
        # 65,536 macro calls and no loop at all
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(16) }}",
        # a recursive loop whose second level iterates 100,000 items and calls nothing
        "{% for x in range(1) recursive %}{% if loop.depth < 2 %}{{ loop(range(100000)) }}"
        "{% endif %}{% endfor %}",
        # iterating a long string, twice nested
        "{% set s = 'x' * 5000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
    ],
    ids=["nested-range", "macro-fanout", "recursive-loop", "string-loop"],
)
def test_a_runaway_render_stops_with_its_file_and_line(tmp_path: Path, source: str) -> None:
    write(tmp_path / "check_in.txt", "Hi\n" + source + "\n")
    with pytest.raises(TemplateError, match=r"check_in\.txt:2: .*ran too long"):
        TemplateSet(tmp_path).render("check_in", "en", sample_context())


def test_the_budget_leaves_loops_as_jinja_has_them(tmp_path: Path) -> None:
    write(
        tmp_path / "check_in.txt",
        "{% for i in items %}{{ loop.index }}/{{ loop.length }}{{ '!' if loop.last }} "
        "{% else %}none{% endfor %}|{% for i in [] %}x{% else %}empty{% endfor %}|"
        "{% for n in tree recursive %}{{ n.name }}{% if n.kids %}({{ loop(n.kids) }}){% endif %}"
        "{% endfor %}\n",
    )
    tree = [{"name": "a", "kids": [{"name": "b", "kids": []}]}, {"name": "c", "kids": []}]
    context = sample_context() | {"items": ["x", "y", "z"], "tree": tree}
    text, _ = TemplateSet(tmp_path).render("check_in", "en", context)
    assert text == "1/3 2/3 3/3! |empty|a(b)c\n"


def test_each_render_gets_a_fresh_budget(tmp_path: Path) -> None:
    write(tmp_path / "check_in.txt", "{% for a in range(6000) %}{% endfor %}ok\n")
    templates = TemplateSet(tmp_path)
    for _ in range(3):  # 18,000 steps in all, 6,000 per render: each one passes
        assert templates.render("check_in", "en", sample_context())[0] == "ok\n"


# --- the size bound: one step cannot build a huge value ---------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{ lipsum(1000) }}",
        "{{ 'x'|center(2000000) }}",
        "{{ 'a\\nb'|indent(2000000) }}",
        "{{ 'a b'|wordwrap(2000000) }}",
        "{{ '%2000000s'|format('x') }}",
        "{{ '%2000000s' % 'x' }}",
        "{{ '{:>2000000}'.format('x') }}",
        "{{ 'x'.ljust(2000000) }}",
        "{{ ','.join(['x'] * 10) }}",
        "{{ ('x' * 1000)|replace('x', 'y' * 3000) }}",
        "{{ (['x' * 90000] * 30)|join }}",
        # doubling through a namespace: 2**22 characters in 22 steps
        "{% set ns = namespace(s='x') %}{% for i in range(22) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s|length }}",
        "{% set ns = namespace(s='x') %}{% for i in range(22) %}{% set ns.s = ns.s + ns.s %}"
        "{% endfor %}{{ ns.s|length }}",
        # each value small enough, printed many times: 30 MB of output
        "{% for i in range(300) %}{{ 'x' * 99999 }}{% endfor %}",
    ],
    ids=[
        "lipsum", "center", "indent", "wordwrap", "format-filter", "percent", "str-format",
        "str-ljust", "str-join", "replace", "join", "concat-doubling", "plus-doubling",
        "long-output",
    ],
)  # fmt: skip
def test_a_render_cannot_build_a_huge_value(tmp_path: Path, source: str) -> None:
    """Each of these builds megabytes in a few steps without the size bound (and the
    hostile tester's center(300000000) took 1.5 GB); with it, each is refused, named."""
    write(tmp_path / "check_in.txt", "Hi\n" + source + "\n")
    with pytest.raises(TemplateError, match=r"check_in\.txt"):
        TemplateSet(tmp_path).render("check_in", "en", sample_context())


def test_a_huge_template_file_is_refused_unread(tmp_path: Path) -> None:
    write(tmp_path / "check_in.txt", "Hi {{ client.name }}\n" + "x" * 70_000 + "\n")
    with pytest.raises(TemplateError, match=r"check_in\.txt: 700\d\d bytes; .* at most 65536"):
        TemplateSet(tmp_path).render("check_in", "en", sample_context())


def test_ordinary_text_operations_still_work(tmp_path: Path) -> None:
    source = (
        "{{ 'Hi' ~ ' ' ~ client.name }}|{{ 'ab'|center(6) }}|{{ '%s!'|format('ok') }}|"
        "{{ ['a', 'b']|join(', ') }}|{{ 'a-b'|replace('-', '+') }}|{{ 'x' + 'y' }}"
    )
    write(tmp_path / "check_in.txt", source)
    text, _ = TemplateSet(tmp_path).render("check_in", "en", sample_context())
    assert text.split("|")[1:] == ["  ab  ", "ok!", "a, b", "a+b", "xy"]
