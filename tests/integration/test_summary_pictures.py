"""The summary on a phone and a desktop, light and dark, in headless Chromium, measured.

Two kinds of measurement: the layout (``tests/support/layout_probe``: every text run's
box, lines, colour and backdrop, the page's scroll width) and the picture (screenshots
read as pixels). Both skip loudly without Chromium; ``GHOSTWATCH_REQUIRE_CHROMIUM=1``
(CI) makes that a failure.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from ghostwatch.core.summary.facts import ClientInfo, InvoiceInfo, SummaryData
from ghostwatch.core.summary.render import build_summary
from ghostwatch.tools.summary_sample import LADDER, NOW, chromium, sample_data, screenshot
from tests.support.layout_probe import Layout, measure
from tests.support.png import RGB, Image, contrast, luminance, read_png
from tests.support.summary_labels import with_command_labels

pytestmark = pytest.mark.slow

SCHEMES = ("light", "dark")
PHONE, DESKTOP = 375, 800
# Long tokens that must wrap somewhere: one Georgian word of 41 letters, a Thai phrase
# with no space in it (Thai puts none between words).
LONG_GEORGIAN = "საქართველოსტურისტულიკომპანიებისასოციაცია"
LONG_THAI = "แบบร่างโลโก้รอบที่สองพร้อมคำติชมจากลูกค้าและทีมงานทั้งหมดของบริษัท"
# What must never break inside: invoice numbers, amounts, dates, badges, command labels.
TOKENS = ("invoice", "amount", "when", "cmd")


def _browser() -> str:
    binary = chromium()
    if binary is None:
        reason = (
            "!!! chromium is not installed: the summary's pictures were NOT measured "
            "(apt-get install chromium; set GHOSTWATCH_REQUIRE_CHROMIUM=1 to make this fail)"
        )
        if os.environ.get("GHOSTWATCH_REQUIRE_CHROMIUM") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


def long_words(language: str) -> SummaryData:
    """The sample plus a client whose name is one long Georgian word, writing about a
    Thai subject without spaces, with a long invoice number."""
    data = sample_data(language)
    extra = ClientInfo(
        LONG_GEORGIAN,
        "waiting",
        "client",
        NOW.replace(month=10),
        NOW.replace(day=20),
        LONG_THAI,
        ladder_days=LADDER,
    )
    invoice = InvoiceInfo(LONG_GEORGIAN, "INV-2026-000123", "12,345.67 GEL", NOW.date())
    return replace(data, clients=(*data.clients, extra), invoices=(*data.invoices, invoice))


def pages() -> dict[str, tuple[str, int]]:
    en = build_summary(sample_data("en"), NOW).html
    return {
        "en-375": (en, PHONE),
        "en-800": (en, DESKTOP),
        "ka-375": (build_summary(sample_data("ka"), NOW).html, PHONE),
        "th-375": (build_summary(sample_data("th"), NOW).html, PHONE),
        "ka-long-375": (build_summary(long_words("ka"), NOW).html, PHONE),
        "th-long-375": (build_summary(long_words("th"), NOW).html, PHONE),
        "cmd-375": (with_command_labels(en), PHONE),
        "cmd-800": (with_command_labels(en), DESKTOP),
    }


CASES = tuple(pages())


@pytest.fixture(scope="module", params=SCHEMES)
def laid_out(request: pytest.FixtureRequest) -> tuple[str, dict[str, Layout]]:
    """Every page, laid out once per colour scheme (one Chromium run each)."""
    return request.param, measure(pages(), binary=_browser(), color_scheme=request.param)


# --- the layout -----------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_no_horizontal_scroll_and_no_text_outside_the_screen(
    laid_out: tuple[str, dict[str, Layout]], case: str
) -> None:
    scheme, layouts = laid_out
    page = layouts[case]
    assert page.dark == (scheme == "dark")
    assert page.viewport == pages()[case][1]
    assert page.scroll_width == page.viewport, f"{case} scrolls sideways"
    outside = [t.text for t in page.texts if t.left < -0.5 or t.right > page.viewport + 0.5]
    assert outside == []
    assert len(page.texts) > 100  # it did lay out the whole summary


@pytest.mark.parametrize("case", CASES)
def test_invoice_numbers_amounts_dates_and_labels_stay_on_one_line(
    laid_out: tuple[str, dict[str, Layout]], case: str
) -> None:
    page = laid_out[1][case]
    for cls in TOKENS if case.startswith("cmd") else TOKENS[:-1]:
        runs = page.having(cls)
        assert runs, cls
        broken = [t.text for t in runs if t.lines != 1]
        assert broken == [], f"{cls} broken across lines in {case}"
    badges = [t for t in page.having("badge") if "note" not in t.classes]
    assert badges and all(t.lines == 1 for t in badges)


@pytest.mark.parametrize("language", ["ka", "th"])
def test_long_georgian_words_and_thai_without_spaces_wrap(
    laid_out: tuple[str, dict[str, Layout]], language: str
) -> None:
    page = laid_out[1][f"{language}-long-375"]
    [name, *_] = [t for t in page.texts if t.text == LONG_GEORGIAN]
    assert name.lines >= 2 and name.right <= page.viewport
    [thai] = [t for t in page.texts if LONG_THAI in t.text]
    assert thai.lines >= 2 and thai.right <= page.viewport
    [number] = [t for t in page.having("invoice") if t.text == "INV-2026-000123"]
    assert number.lines == 1


@pytest.mark.parametrize("case", CASES)
def test_every_text_meets_wcag_aa_contrast(
    laid_out: tuple[str, dict[str, Layout]], case: str
) -> None:
    page = laid_out[1][case]
    low = [
        (t.text, round(t.contrast, 2)) for t in page.texts if t.contrast < (3.0 if t.large else 4.5)
    ]
    assert low == []


@pytest.mark.parametrize("case", ["cmd-375", "cmd-800"])
def test_command_labels_are_visible_but_quiet(
    laid_out: tuple[str, dict[str, Layout]], case: str
) -> None:
    page = laid_out[1][case]
    labels = page.having("cmd")
    clients = [t for t in page.having("client") if "cmd" not in t.classes]
    assert len(labels) == len(clients) > 5
    for label in labels:
        assert "monospace" in label.family
        assert label.size < min(c.size for c in clients)
        assert label.weight < 700
        # readable (AA), yet quieter than the names beside it
        assert 4.5 <= label.contrast < min(c.contrast for c in clients)
    card = Counter(t.background for t in page.texts).most_common(1)[0][0]
    assert all(label.background != card for label in labels)  # a pill, not bare text
    [helpline] = page.having("cmd-help")
    assert helpline.size < 14 and helpline.contrast >= 4.5


# --- the picture ----------------------------------------------------------------------

SHOTS = [("en", scheme, width) for scheme in SCHEMES for width in (PHONE, DESKTOP)] + [
    ("ka", "dark", PHONE),
    ("th", "light", PHONE),
]


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str, int], Image]:
    """Screenshots of the sample summary by (language, scheme, width), each taken once."""
    taken: dict[tuple[str, str, int], Image] = {}

    def shot(language: str, scheme: str, width: int) -> Image:
        if (language, scheme, width) not in taken:
            page = build_summary(sample_data(language), NOW).html
            folder = tmp_path_factory.mktemp("shots")
            taken[language, scheme, width] = _shot(page, folder, width, scheme)
        return taken[language, scheme, width]

    return shot


def _shot(page: str, folder: Path, width: int, scheme: str) -> Image:
    png = folder / f"summary-{width}-{scheme}.png"
    screenshot(page, png, binary=_browser(), width=width, height=1400, color_scheme=scheme)
    image = read_png(png.read_bytes())
    assert (image.width, image.height) == (width, 1400)
    return image


def _background(image: Image) -> RGB:
    return Counter(image.pixels(step=2)).most_common(1)[0][0]


@pytest.mark.parametrize(("language", "scheme", "width"), SHOTS)
def test_the_picture_is_dark_in_dark_mode_light_otherwise_with_crisp_text(
    shots: Callable[[str, str, int], Image], language: str, scheme: str, width: int
) -> None:
    image = shots(language, scheme, width)
    background = _background(image)
    pixels = image.pixels(step=2)
    if scheme == "dark":
        assert luminance(background) < 0.03, background
        assert sum(luminance(p) < 0.05 for p in pixels) > 0.6 * len(pixels)
    else:
        assert luminance(background) > 0.9, background
        assert sum(luminance(p) > 0.8 for p in pixels) > 0.6 * len(pixels)
    # text was drawn, in strong contrast with the card
    strongest = sorted(contrast(p, background) for p in pixels)[-len(pixels) // 200]
    assert strongest > 10
    if width == DESKTOP:  # the page around the 640 px card
        page = image.pixel(5, 700)
        assert (luminance(page) < 0.03) if scheme == "dark" else (luminance(page) > 0.85)


@pytest.mark.parametrize(("language", "scheme", "width"), SHOTS)
def test_nothing_is_cut_off_at_the_right_edge(
    shots: Callable[[str, str, int], Image], language: str, scheme: str, width: int
) -> None:
    # Text running off the screen leaves anti-aliased glyph edges in the last columns;
    # a layout that fits leaves only a few flat colours there (card, page, borders).
    image = shots(language, scheme, width)
    edge = set(image.region(width - 3, 0, width, image.height))
    assert len(edge) <= 6, f"{len(edge)} colours at the right edge"


def test_a_client_that_drops_the_style_block_shows_it_light_even_in_dark_mode(
    tmp_path: Path,
) -> None:
    page = build_summary(sample_data("en"), NOW).html
    stripped = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    assert stripped != page
    for width in (PHONE, DESKTOP):
        image = _shot(stripped, tmp_path, width, "dark")
        assert luminance(_background(image)) > 0.9
