"""The shipped systemd units verify and carry the hardening the service relies on."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).parents[2] / "systemd"
EXECUTABLE = {
    "ghostwatch.service": "/opt/ghostwatch/bin/ghostwatch",
    "ghostwatch-user.service": "%h/.local/bin/ghostwatch",  # where pipx puts it
    "ghostwatch@.service": "/opt/ghostwatch/bin/ghostwatch",
}
HARDENING = [
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "PrivateTmp=yes",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    "SystemCallFilter=@system-service",
    "UMask=0077",
    "Restart=on-failure",
    "RestartPreventExitStatus=2",  # a bad config is not restarted every 30 s forever
    "Type=notify",
]


@pytest.mark.parametrize("unit", sorted(EXECUTABLE))
def test_unit_is_hardened(unit: str) -> None:
    text = (UNITS / unit).read_text()
    missing = [line for line in HARDENING if line not in text.splitlines()]
    assert missing == []


def test_system_unit_uses_its_own_user_state_and_credentials() -> None:
    lines = (UNITS / "ghostwatch.service").read_text().splitlines()
    for directive in ("DynamicUser=yes", "StateDirectory=ghostwatch", "ProtectHome=yes"):
        assert directive in lines
    assert any(line.startswith("LoadCredential=") for line in lines)


def test_template_unit_runs_instances_on_a_shared_database_only() -> None:
    """No StateDirectory=: an instance left on the default SQLite URL fails to start
    instead of keeping a database of its own (two would then both send)."""
    lines = (UNITS / "ghostwatch@.service").read_text().splitlines()
    assert not any(line.startswith("StateDirectory=") for line in lines)
    assert "DynamicUser=yes" in lines
    assert any("%i" in line for line in lines if line.startswith("Description="))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
@pytest.mark.parametrize("unit", sorted(EXECUTABLE))
def test_systemd_analyze_verify(unit: str, tmp_path: Path) -> None:
    # verify checks that ExecStart exists: point it at this interpreter.
    text = (UNITS / unit).read_text().replace(EXECUTABLE[unit], sys.executable)
    (tmp_path / unit).write_text(text)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    # man pages are checked too: Documentation=man:ghostwatch(1) is the shipped page
    man = tmp_path / "man" / "man1"
    man.mkdir(parents=True)
    shutil.copy(UNITS.parent / "docs" / "ghostwatch.1", man)
    args = ["systemd-analyze", "verify"]
    if "user" in unit:
        args.append("--user")
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), MANPATH=str(tmp_path / "man"))
    done = subprocess.run([*args, str(tmp_path / unit)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""


def test_both_units_name_the_man_page() -> None:
    for unit in EXECUTABLE:
        assert "Documentation=man:ghostwatch(1)" in (UNITS / unit).read_text().splitlines()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_system_unit_exposure_stays_at_most_1_5(tmp_path: Path) -> None:
    """``systemd-analyze security`` scores what the unit leaves open (0 = fenced in);
    ``--threshold`` is that score times ten (measured: 1.3)."""
    unit = tmp_path / "ghostwatch.service"
    text = (UNITS / "ghostwatch.service").read_text()
    unit.write_text(text.replace(EXECUTABLE["ghostwatch.service"], sys.executable))
    args = ["systemd-analyze", "security", "--offline=yes", "--threshold=15", str(unit)]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
