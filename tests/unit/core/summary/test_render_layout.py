"""The summary's HTML for every screen, read as markup (no browser; the pictures are in
tests/integration/test_summary_pictures.py): fluid widths, nowrap tokens, a dark block
kept through the CSS inliner, a light page for clients that drop it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from ghostwatch.core.summary.render import build_summary
from ghostwatch.tools.summary_sample import NOW, sample_data
from tests.support.summary_labels import with_command_labels

NARROWEST = 375  # px: no fixed width above this, outside Outlook's own wrapper


class _Tags(HTMLParser):
    """Start tags as (name, attributes, style declarations), and the <style> text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        decls = dict(
            (k.strip().lower(), v.strip().lower())
            for k, _, v in (d.partition(":") for d in found.get("style", "").split(";"))
            if k.strip()
        )
        self.tags.append((tag, found, decls))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data


def parse(page: str) -> _Tags:
    # Outlook's conditional wrapper is a comment to every other client: not parsed.
    tags = _Tags()
    tags.feed(page)
    return tags


def top_level_blocks(css: str) -> list[str]:
    """The top-level rules of ``css`` (brace-matched), each as its text."""
    blocks, depth, start = [], 0, 0
    for i, ch in enumerate(css):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                blocks.append(css[start : i + 1].strip())
                start = i + 1
    assert depth == 0 and not css[start:].strip(), "unbalanced or trailing CSS"
    return blocks


@pytest.fixture(scope="module", params=["en", "ka", "th"])
def page(request: pytest.FixtureRequest) -> str:
    return build_summary(sample_data(request.param), NOW).html


def test_the_only_style_left_is_media_queries_for_dark_and_narrow(page: str) -> None:
    blocks = top_level_blocks(parse(page).style)
    heads = sorted(b.split("{", 1)[0].strip() for b in blocks)
    assert heads == ["@media (max-width: 480px)", "@media (prefers-color-scheme: dark)"]
    dark = next(b for b in blocks if "prefers-color-scheme" in b)
    # inside, each declaration must beat the inlined light style
    declarations = re.findall(r"[a-z-]+\s*:\s*[^;{}]+", dark.split("{", 1)[1])
    assert declarations and all(d.rstrip().endswith("!important") for d in declarations)


def test_clients_that_drop_the_style_block_get_the_whole_light_page_inline(page: str) -> None:
    tags = parse(page).tags
    body = next(decls for tag, _, decls in tags if tag == "body")
    assert body["background"] == "#f3f4f6" and body["color"] == "#111827"
    card = next(d for _, a, d in tags if "card" in a.get("class", "").split())
    assert card["background"] == "#ffffff" and card["max-width"] == "640px"
    heads = [d for _, a, d in tags if a.get("class") == "head"]
    assert heads and heads[0]["background"] == "#111827"


def test_color_scheme_meta_tags_say_light_and_dark(page: str) -> None:
    metas = {a.get("name"): a.get("content") for tag, a, _ in parse(page).tags if tag == "meta"}
    assert metas["color-scheme"] == "light dark"
    assert metas["supported-color-schemes"] == "light dark"
    assert metas["viewport"] == "width=device-width, initial-scale=1"


def _px(value: str) -> float | None:
    found = re.fullmatch(r"(\d+(?:\.\d+)?)(px)?", value.strip())
    return float(found.group(1)) if found else None


def test_no_fixed_width_wider_than_a_phone(page: str) -> None:
    for tag, attrs, decls in parse(page).tags:
        for value in (attrs.get("width", ""), decls.get("width", ""), decls.get("min-width", "")):
            px = _px(value)
            assert px is None or px <= NARROWEST, (tag, attrs)


def test_invoice_numbers_amounts_and_dates_never_wrap_inside(page: str) -> None:
    tags = parse(page).tags
    for cls in ("invoice", "amount", "when"):
        cells = [d for _, a, d in tags if cls in a.get("class", "").split()]
        assert cells, cls
        assert all(d.get("white-space") == "nowrap" for d in cells), cls
    # prose wraps, long words and all (Georgian has long words, Thai no spaces)
    prose = [d for t, a, d in tags if t == "td" and "main" in a.get("class", "").split()]
    assert prose and all(d.get("overflow-wrap") == "anywhere" for d in prose)


def test_command_labels_are_styled_as_quiet_pills_wherever_they_appear() -> None:
    # The labels come from another change: a hand-made fragment, the summary's own CSS.
    tags = parse(with_command_labels(build_summary(sample_data(), NOW).html)).tags
    cmds = [d for _, a, d in tags if a.get("class") == "cmd"]
    assert len(cmds) > 5
    for cmd in cmds:
        assert "monospace" in cmd["font-family"] and cmd["font-size"] == "11px"
        assert cmd["white-space"] == "nowrap" and cmd["border-radius"] == "8px"
    [helpline] = [d for _, a, d in tags if a.get("class") == "cmd-help"]
    assert helpline["font-size"] == "12px"
    dark = next(
        b
        for b in top_level_blocks(parse(build_summary(sample_data(), NOW).html).style)
        if "prefers-color-scheme" in b
    )
    assert ".cmd {" in dark and ".cmd-help" in dark
