"""The daily summary: plain facts in, one short email body out (HTML + text). PURE.

No I/O but reading the files shipped in ``templates/``; never the clock:
``now`` is given, aware UTC. The shell (``ghostwatch.app.summary``) fills ``SummaryData``.

Invariants:
- Rule 1: the HTML and the text part are rendered from the same rows
  (``core/summary/rows.py``'s ``view``), so they state the same facts, in the same order.
- Rule 2: every string that came from a client, a mailbox or a server (names,
  subjects, addresses, reasons, errors) has its control characters replaced by spaces
  (no line of the text part can be broken, no header forged) and is autoescaped in the
  HTML (Jinja2 ``SandboxedEnvironment``): a subject ``<script>`` shows as text.
- Rule 3: the HTML loads nothing and runs nothing: table layout, CSS inlined by
  css_inline with remote stylesheets off, the silence bar made of table cells.
  The only ``<style>`` left holds ``@media`` rules (dark mode, narrow screens); the
  light page is entirely inline, so a client that drops ``<style>`` shows it light.
- Rule 6: fluid layout that fits 375 px: no fixed width above 375 px (outside the
  Outlook-only ``mso`` wrapper), prose wraps anywhere, and invoice numbers, amounts
  and dates are ``nowrap`` so they never break mid-token.
- Rule 4: times are shown in the summary account's zone (``SummaryData.timezone``).
- Rule 5: "usual reply time" is the median gap between our first unanswered human
  message and the client's next human reply, over at least ``MIN_REPLY_SAMPLES``
  exchanges; a client is "unusually quiet" when the current silence exceeds both
  twice that and that plus two days (``core/summary/facts.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import css_inline
import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ghostwatch.core import i18n
from ghostwatch.core.summary.facts import SummaryData
from ghostwatch.core.summary.rows import view

__all__ = ["TEMPLATE_DIR", "Summary", "build_summary", "inline_css", "languages"]

TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class Summary:
    subject: str
    text: str
    html: str
    # label -> the row it names (command_words.assign); empty when commands are off
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    token: str = field(default="", repr=False)  # its one-time key ("" = none); a secret


# --- templates and words --------------------------------------------------------------


def languages() -> tuple[str, ...]:
    """The languages the summary is written in (English and every shipped catalogue)."""
    return i18n.languages()


@lru_cache(maxsize=1)
def _env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["width"] = i18n.display_width  # a heading's underline, in columns
    return env


# keep_at_rules: plain rules go inline, @media blocks stay in one <style> (Rule 3).
_INLINER = css_inline.CSSInliner(
    load_remote_stylesheets=False, keep_style_tags=False, keep_at_rules=True
)


def inline_css(page: str) -> str:
    """Return ``page`` (HTML with ``<style>`` blocks) with its plain CSS rules inlined
    and only its ``@media`` rules left in a ``<style>`` (Rule 3)."""
    return _INLINER.inline(page)


def build_summary(data: SummaryData, now: datetime) -> Summary:
    """Return the daily summary of ``data`` at ``now``: subject, plain text and HTML
    (CSS inlined). Raise ValueError if ``now`` is naive or the zone unknown."""
    rows = view(data, now)
    text = _env().get_template("summary.txt").render(rows)
    html = inline_css(_env().get_template("summary.html").render(rows))
    return Summary(
        subject=rows["subject"], text=text, html=html, labels=rows["labels"], token=data.token
    )
