"""A realistic daily summary, for the README picture and the rendering tests.

``python -m ghostwatch.tools.summary_sample [OUT.png] [--html OUT.html] [--language ka]
[--width 375] [--dark]`` renders it (in English, 800 px wide and light unless told) with
headless Chromium (``/usr/bin/chromium`` or ``$CHROMIUM``) to ``docs/summary.png``.
Everything here is made up; nothing reads the clock (the sample is fixed in time).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ghostwatch.core.domain import why
from ghostwatch.core.summary.facts import (
    ClientInfo,
    HealthInfo,
    InvoiceInfo,
    NudgeInfo,
    SummaryData,
)
from ghostwatch.core.summary.render import build_summary

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 08:00 in Tbilisi, a Tuesday
LADDER = (7.0, 14.0, 21.0)
# The English sample's full length at a width (px), for a picture without blank space.
DOC_HEIGHTS = {800: 2100, 375: 2490}
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def _ago(days: float, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


def _history(*gaps_days: float, start: float = 60) -> tuple[tuple[datetime, bool], ...]:
    """Past exchanges: our message, then their reply after each gap, a week apart."""
    out: list[tuple[datetime, bool]] = []
    for i, gap in enumerate(gaps_days):
        ours = _ago(start - 7 * i)
        out += [(ours, False), (ours + timedelta(days=gap), True)]
    return tuple(out)


# Clients in every state, Georgian and Thai names among them.
SAMPLE_CLIENTS: tuple[ClientInfo, ...] = (
    ClientInfo(
        "ნინო სტუდია",
        "ok",
        "you",
        _ago(4),
        _ago(6),
        "ლოგოს ესკიზები",
        their_subject="Re: ლოგოს ესკიზები — კომენტარები",
    ),
    ClientInfo(
        "Acme Ltd",
        "nudged",
        "client",
        _ago(30),
        _ago(9),
        "Logo drafts, round 2",
        step=1,
        ladder_days=LADDER,
        history=_history(1.5, 2, 2.5, 1),
        next_template="closing_notice",
        next_at=_ago(-3, -1),
    ),
    ClientInfo(
        "บริษัท สยาม ดีไซน์",
        "waiting",
        "client",
        _ago(20),
        _ago(3, 5),
        "แบบร่างโลโก้ รอบที่สอง",
        ladder_days=LADDER,
        history=_history(3, 4, 2),
        next_template="check_in",
        next_at=_ago(-2, -1),
    ),
    ClientInfo(
        "Globex",
        "bouncing",
        "client",
        None,
        _ago(12),
        "Website copy",
        ladder_days=LADDER,
        bouncing=(("old.pm@globex.example", _ago(11)),),
        unreadable=(_ago(2),),
    ),
    ClientInfo(
        "Initech",
        "ghosted",
        "client",
        _ago(60),
        _ago(22),
        "Quarterly report",
        ladder_days=LADDER,
        ghosted_at=_ago(0, 20),
    ),
    ClientInfo(
        "Umbrella",
        "away",
        "client",
        _ago(40),
        _ago(8),
        "Brand book",
        ladder_days=LADDER,
        until=_ago(-3),
        history=_history(0.2, 0.5, 0.3),
    ),
    ClientInfo(
        "Hooli",
        "snoozed",
        "client",
        _ago(15),
        _ago(16),
        "Pitch deck",
        ladder_days=LADDER,
        until=_ago(-6),
    ),
)


def sample_data(language: str = "en") -> SummaryData:
    """A summary with clients in every state, Georgian and Thai names among them."""
    return SummaryData(
        account="studio (nino@studio.example)",
        timezone="Asia/Tbilisi",
        language=language,
        since=_ago(1),
        clients=SAMPLE_CLIENTS,
        sent=(
            NudgeInfo("Acme Ltd", "check_in", _ago(0, 22), "sent",
                      "Acme Ltd: 8 days since your message of 15 Nov; check-in due",
                      "jane@acme.example"),
            NudgeInfo("Wayne Enterprises", "payment_reminder", _ago(0, 19), "sent",
                      "Wayne Enterprises: invoice INV-2026-031 (900 EUR) was due 18 Nov, "
                      "unpaid; payment reminder due", "ap@wayne.example"),
        ),
        upcoming=(
            NudgeInfo("บริษัท สยาม ดีไซน์", "check_in", _ago(-2, -1), "scheduled",
                      "บริษัท สยาม ดีไซน์: 7 days since your message of 20 Nov; check-in due",
                      why=(why("silence.due", client="บริษัท สยาม ดีไซน์", days=7,
                               since=date(2026, 11, 20), template="check_in"),)),
            NudgeInfo("Acme Ltd", "closing_notice", _ago(-3, -1), "scheduled",
                      "Acme Ltd: 12 days since your message of 15 Nov; closing notice due",
                      why=(why("silence.due", client="Acme Ltd", days=12,
                               since=date(2026, 11, 15), template="closing_notice"),)),
            NudgeInfo("Globex", "check_in", _ago(0, -1), "held",
                      "Globex: held: old.pm@globex.example is bouncing",
                      why=(why("held.bouncing", address="old.pm@globex.example"),)),
        ),
        invoices=(
            InvoiceInfo("Wayne Enterprises", "INV-2026-031", "900 EUR", date(2026, 11, 18)),
            InvoiceInfo("ნინო სტუდია", "INV-2026-027", "1,200 GEL", date(2026, 11, 10),
                        replied_at=_ago(4)),
            InvoiceInfo("Acme Ltd", "INV-2026-035", "2,400 USD", date(2026, 12, 1)),
            InvoiceInfo("Hooli", "INV-2026-022", "650 USD", date(2026, 11, 2),
                        paid_at=_ago(0, 15)),
        ),
        health=(
            HealthInfo("studio", _ago(0, 0.1)),
            HealthInfo("agency", _ago(0, 3), stale=True,
                       error="MailboxError: imap.agency.example:993: timed out",
                       error_at=_ago(0, 0.2), unknown=1),
        ),
    )  # fmt: skip


def chromium() -> str | None:
    """Return the Chromium binary ($CHROMIUM, /usr/bin/chromium, or on $PATH) or None."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def scheme_flag(color_scheme: str) -> str:
    """The Chromium flag that makes pages see ``prefers-color-scheme: color_scheme``
    ("light" or "dark"), whatever the machine's own theme; raise ValueError otherwise."""
    # Blink's PreferredColorScheme enum: 0 is dark, 1 is light.
    codes = {"dark": 0, "light": 1}
    if color_scheme not in codes:
        raise ValueError(f"color_scheme must be light or dark, not {color_scheme!r}")
    return f"--blink-settings=preferredColorScheme={codes[color_scheme]}"


def screenshot(
    html: str,
    png: Path,
    *,
    binary: str,
    width: int = 800,
    height: int = 1400,
    color_scheme: str = "light",
) -> None:
    """Render ``html`` in headless Chromium to ``png``, the viewport ``width`` x ``height``
    px, as a reader who prefers ``color_scheme`` sees it; raise RuntimeError on failure."""
    with tempfile.TemporaryDirectory(prefix="gw-chromium-") as tmp:
        page = Path(tmp) / "summary.html"
        page.write_text(html, encoding="utf-8")
        argv = [
            binary,
            *CHROMIUM_FLAGS,
            scheme_flag(color_scheme),
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--screenshot={png.resolve()}",
            f"--window-size={width},{height}",
            page.as_uri(),
        ]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=90, check=False)
        if done.returncode != 0 or not png.is_file():
            raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ghostwatch.tools.summary_sample", description="Render the sample summary."
    )
    parser.add_argument(
        "png",
        nargs="?",
        type=Path,
        default=Path("docs/summary.png"),
        help="where to write the picture (default docs/summary.png)",
    )
    parser.add_argument("--html", type=Path, help="also write the summary's HTML here")
    parser.add_argument("--language", default="en", help="en, ka or th (default en)")
    parser.add_argument("--width", type=int, default=800, help="viewport width in px")
    parser.add_argument("--dark", action="store_true", help="as a reader in dark mode sees it")
    args = parser.parse_args(argv)
    summary = build_summary(sample_data(args.language), NOW)
    if args.html is not None:
        args.html.write_text(summary.html, encoding="utf-8")
    binary = chromium()
    if binary is None:
        print("chromium not found: install it (apt-get install chromium)", file=sys.stderr)
        return 1
    args.png.parent.mkdir(parents=True, exist_ok=True)
    height = DOC_HEIGHTS.get(args.width, max(DOC_HEIGHTS.values()))
    scheme = "dark" if args.dark else "light"
    screenshot(summary.html, args.png, binary=binary, width=args.width, height=height,
               color_scheme=scheme)  # fmt: skip
    print(f"wrote {args.png}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
