"""`ghostwatch demo` end to end: in-process pymap and aiosmtpd, the real daemon, the CLI.

One run (module-scoped, ~5-10 s) is shared by every assertion below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from ghostwatch.cli import entry as cli
from ghostwatch.demo import run as demo_module

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class DemoRun:
    code: int
    out: str
    folder: Path

    def nudges(self) -> dict[str, EmailMessage]:
        found = {}
        for path in sorted((self.folder / "nudges").glob("*.eml")):
            msg = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(msg, EmailMessage)
            found[path.name] = msg
        return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    import contextlib
    import io

    folder = tmp_path_factory.mktemp("demo") / "out"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = cli.main(["demo", "--out", str(folder)])
    return DemoRun(code, stdout.getvalue(), folder)


def test_the_demo_exits_0_and_leaves_its_folder(demo: DemoRun) -> None:
    assert demo.code == 0, demo.out
    assert (demo.folder / "config.toml").is_file()
    assert (demo.folder / "ghostwatch.db").is_file()
    summary = (demo.folder / "summary.html").read_text(encoding="utf-8")
    assert "<html" in summary.lower()
    assert "Acme Ltd" in summary
    assert f"Left in {demo.folder}/" in demo.out


def test_every_step_of_the_story_is_sent(demo: DemoRun) -> None:
    names = list(demo.nudges())
    templates = [re.sub(r"^\d+-\d{4}-\d\d-\d\d-", "", n).split("-")[0] for n in names]
    assert len(names) >= 8, names
    for template in ("check_in", "closing_notice", "payment_reminder", "work_paused"):
        assert template in templates, names
    acme = [t for n, t in zip(names, templates, strict=True) if n.endswith("acme-ltd.eml")]
    assert acme == ["check_in", "closing_notice"]


def test_nudges_are_threaded_replies_in_the_clients_language(demo: DemoRun) -> None:
    by_to = {}
    for msg in demo.nudges().values():
        assert msg["Subject"].startswith("Re: ")
        assert msg["In-Reply-To"]
        assert msg["From"].addresses[0].addr_spec == "nino@studio.example"
        by_to.setdefault(msg["To"].addresses[0].addr_spec, []).append(msg)
    georgian = by_to["giorgi@kvevri.example"][0]
    assert georgian["Subject"] == "Re: ლოგოს ესკიზები"
    assert re.search("[\u10d0-\u10ff]{4}", georgian.get_content())  # Georgian script
    thai = by_to["somchai@siamdesign.example"]
    assert len(thai) == 2
    assert all(re.search("[\u0e00-\u0e7f]{4}", m.get_content()) for m in thai)


def test_no_nudge_to_the_client_who_replied_or_the_bouncing_address(demo: DemoRun) -> None:
    recipients = {m["To"].addresses[0].addr_spec for m in demo.nudges().values()}
    assert "hank@globex.example" not in recipients
    assert not any(r.endswith("@hooli.example") for r in recipients)
    assert "Globex replied: the ball is in your court; no nudge needed" in demo.out
    assert "gavin.belson@hooli.example bounced" in demo.out


def test_the_story_reads_as_it_happened(demo: DemoRun) -> None:
    out = demo.out
    assert "\033[" not in out  # no colour when not on a terminal
    assert "Umbrella Studio is away until 13 Nov" in out
    assert "Acme Ltd marked ghosted" in out
    # Umbrella's check-in met an out-of-office ("until 13 Nov"): that check-in was not
    # seen, so after the return (Mon 16 Nov) and two business days of grace the same
    # check-in goes again -- never a closing notice as the first message back
    assert not re.search(r"closing notice sent to Umbrella", out)
    assert re.search(r"Wed 18 Nov \d\d:\d\d → check-in sent to Umbrella Studio", out)
    # Initech's work-paused notice ends what is written to them: no check-in after it
    paused = out.index("work-paused notice sent to Initech")
    assert "sent to Initech" not in out[paused + 40 :]
    # a nudge's time in the client's zone and in yours, when they differ
    assert "check-in sent to Acme Ltd, Fri 6 Nov 15:40 in London, 19:40 yours" in out
    assert "next: check-in Thu 5 Nov 10:05 in New York, 19:05 yours" in out
    assert re.search(r"check-in sent to ქვევრი და კო \(", out)  # same clock: said once
    assert "in Georgian" in out
    assert "in Thai" in out


def test_an_out_folder_that_is_not_empty_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    assert cli.main(["demo", "--out", str(tmp_path)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["precious.txt"]


FRI = datetime(2026, 11, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hours", "zone", "said"),
    [
        (15.67, "America/New_York", "Fri 6 Nov 10:40 in New York, 19:40 yours"),
        (21, "America/Los_Angeles", "Fri 6 Nov 13:00 in Los Angeles, Sat 7 Nov 01:00 yours"),
        (8, "Asia/Tbilisi", "Fri 6 Nov 12:00"),
        (8, "Asia/Dubai", "Fri 6 Nov 12:00"),  # another zone, the same clock: said once
    ],
)
def test_both_zones(hours: float, zone: str, said: str) -> None:
    at = FRI + timedelta(hours=hours)
    assert demo_module.both_zones(at.replace(second=0, microsecond=0), zone) == said
