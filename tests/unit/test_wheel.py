"""The wheel alone is enough to start (what a pipx user has): built from this checkout,
unpacked away from it, ``init`` writes a config that ``check-config`` accepts, the units
and the example config are read from inside the package, and the man page is installed."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SHIPPED = [
    "ghostwatch/_shipped/config.example.toml",
    "ghostwatch/_shipped/systemd/ghostwatch.service",
    "ghostwatch/_shipped/systemd/ghostwatch-user.service",
    "ghostwatch/_shipped/docs/ghostwatch.1",
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    args = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{done.stderr[-2000:]}")
    (found,) = out.glob("ghostwatch-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_carries_the_shipped_files_and_the_man_page(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for name in SHIPPED:
        assert name in names
    assert any(n.endswith(".data/data/share/man/man1/ghostwatch.1") for n in names)


@pytest.mark.slow
def test_init_from_the_wheel_alone_writes_a_config_check_config_accepts(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target"]
    subprocess.run([*install, str(target), str(wheel)], check=True, capture_output=True)
    env = dict(os.environ, PYTHONPATH=str(target), HOME=str(tmp_path))
    for name in ("XDG_CONFIG_HOME", "GHOSTWATCH_CONFIG"):
        env.pop(name, None)
    work = tmp_path / "work"  # far from the checkout: nothing to fall back on
    work.mkdir()

    def gw(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ghostwatch", *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    where = gw("--version")
    assert where.returncode == 0, where.stderr
    init = gw("init", "--address", "me@example.com", "--provider", "fastmail")
    assert init.returncode == 0, init.stderr  # no --out: where the config is looked for
    assert (tmp_path / ".config" / "ghostwatch" / "config.toml").is_file()
    assert gw("check-config").returncode == 0
    init = gw(
        *("init", "--address", "me@example.com", "--provider", "fastmail"),
        *("--timezone", "Asia/Tbilisi", "--language", "ka", "--out", "X"),
    )
    assert init.returncode == 0, init.stderr
    checked = gw("--config", "X", "check-config")
    assert checked.returncode == 0, checked.stderr
    assert "OK (1 account(s)" in checked.stdout
    unit = gw("init", "--systemd", "user")
    assert unit.returncode == 0 and "RestartPreventExitStatus=2" in unit.stdout
    probe = "import ghostwatch, ghostwatch.resources as r; print(ghostwatch.__file__); "
    probe += "print(len(r.shipped_text(r.EXAMPLE_CONFIG)))"
    shown = subprocess.run(
        [sys.executable, "-c", probe], cwd=work, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert shown[0].startswith(str(target))  # the wheel's copy, not this checkout's
    assert int(shown[1]) == len((ROOT / "config.example.toml").read_text())
