"""Measure summary pages laid out by headless Chromium at given widths (``--dump-dom``).

Each page is loaded in an ``<iframe srcdoc>`` of its own width inside one wrapper page,
so its media queries see exactly that width (a headless window is never narrower than
500 px, an iframe is), and ``layout_probe.js`` reports what it measured as JSON. The
summary itself runs no script: only the wrapper does.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghostwatch.tools.summary_sample import CHROMIUM_FLAGS, scheme_flag
from tests.support.png import RGB, contrast

SCRIPT = Path(__file__).with_name("layout_probe.js")
FRAME_HEIGHT = 900  # px; a page longer than its frame still lays out in full


@dataclass(frozen=True)
class Text:
    """One visible text run of a page, as laid out."""

    text: str
    classes: tuple[str, ...]
    color: RGB
    background: RGB
    size: float
    weight: int
    family: str
    lines: int
    left: float
    right: float

    @property
    def large(self) -> bool:
        """WCAG 2's large text: 24 px, or 18.66 px bold (lower contrast suffices)."""
        return self.size >= 24 or (self.size >= 18.66 and self.weight >= 700)

    @property
    def contrast(self) -> float:
        return contrast(self.color, self.background)


@dataclass(frozen=True)
class Layout:
    viewport: int
    scroll_width: int
    height: int
    dark: bool
    texts: tuple[Text, ...]

    def having(self, cls: str) -> list[Text]:
        """The text runs inside an element of class ``cls``."""
        return [t for t in self.texts if cls in t.classes]


def _rgb(css: str) -> RGB:
    found = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, [\d.]+)?\)", css)
    if found is None:
        raise ValueError(f"unexpected computed colour {css!r}")
    r, g, b = (int(v) for v in found.groups())
    return r, g, b


def _layout(raw: dict[str, Any]) -> Layout:
    texts = tuple(
        Text(
            t["text"],
            tuple(t["classes"]),
            _rgb(t["color"]),
            _rgb(t["background"]),
            t["size"],
            t["weight"],
            t["family"],
            t["lines"],
            t["left"],
            t["right"],
        )
        for t in raw["texts"]
    )
    return Layout(raw["viewport"], raw["scroll_width"], raw["height"], raw["dark"], texts)


def wrapper(pages: dict[str, tuple[str, int]]) -> str:
    """The wrapper page: one iframe per name, ``srcdoc`` the page, at its width."""
    frames = "\n".join(
        f'<iframe id="{name}" style="border:0;display:block;width:{width}px;'
        f'height:{FRAME_HEIGHT}px" srcdoc="{html.escape(page, quote=True)}"></iframe>'
        for name, (page, width) in pages.items()
    )
    script = SCRIPT.read_text(encoding="utf-8")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body style='margin:0'>"
        f"{frames}<pre id='gw-probe'></pre><script>{script}</script></body></html>"
    )


def measure(
    pages: dict[str, tuple[str, int]], *, binary: str, color_scheme: str
) -> dict[str, Layout]:
    """Lay out each ``name: (html, width_px)`` in Chromium preferring ``color_scheme``;
    return what was measured, by name. Raise RuntimeError if Chromium fails."""
    with tempfile.TemporaryDirectory(prefix="gw-probe-") as tmp:
        page = Path(tmp) / "wrapper.html"
        page.write_text(wrapper(pages), encoding="utf-8")
        argv = [
            binary,
            *CHROMIUM_FLAGS,
            scheme_flag(color_scheme),
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--window-size=1000,1000",
            "--dump-dom",
            page.as_uri(),
        ]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    found = re.search(r'<pre id="gw-probe">(.*?)</pre>', done.stdout, flags=re.S)
    if done.returncode != 0 or found is None or not found.group(1):
        raise RuntimeError(f"chromium --dump-dom failed ({done.returncode}): {done.stderr[-2000:]}")
    raw = json.loads(html.unescape(found.group(1)))
    return {name: _layout(raw[name]) for name in pages}
