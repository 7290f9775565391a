"""Command labels in a summary page, hand-made: the labels come from another change,
so tests put ``<span class="cmd">`` before each client name and a ``<p class="cmd-help">``
line in the footer, and style them with the summary template's own plain CSS rules."""

from __future__ import annotations

import re

from ghostwatch.core.summary.render import TEMPLATE_DIR, inline_css


def light_rules() -> str:
    """The plain (light) CSS of ``summary.html``: its ``<style>`` minus ``@media`` blocks."""
    source = (TEMPLATE_DIR / "summary.html").read_text(encoding="utf-8")
    found = re.search(r"^<style>$(.*?)^</style>$", source, flags=re.S | re.M)
    if found is None:
        raise ValueError("summary.html has no <style> block on lines of its own")
    return re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", found.group(1))


def with_command_labels(page: str, label: str = "2") -> str:
    """``page`` (a built summary) with a label before every client name and a help line."""
    labelled = re.sub(
        r'<span class="client"', lambda m: f'<span class="cmd">{label}</span> ' + m.group(0), page
    )
    help_line = f'<p class="cmd-help">Reply “skip {label}” to skip it.</p>'
    labelled, found = re.subn(
        r'(<td class="foot"[^>]*>)', lambda m: m.group(1) + help_line, labelled
    )
    if found != 1:
        raise ValueError("the summary has no footer cell")
    return inline_css(labelled.replace("</head>", f"<style>{light_rules()}</style></head>"))
