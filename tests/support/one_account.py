"""A one-account config file with the IMAP and SMTP credential lines left to the test."""

from __future__ import annotations

from pathlib import Path

ONE_ACCOUNT = """
[[accounts]]
name = "studio"
address = "nino@studio.example"
timezone = "Asia/Tbilisi"

[accounts.imap]
host = "imap.example.com"
{imap}

[accounts.smtp]
host = "smtp.example.com"
{smtp}
"""


def one_account_text(imap: str = "", smtp: str = "") -> str:
    """The TOML text, ``imap`` and ``smtp`` written into their server tables."""
    return ONE_ACCOUNT.format(imap=imap, smtp=smtp)


def write_one_account(tmp_path: Path, imap: str = "", smtp: str = "") -> Path:
    """Write it to ``tmp_path/config.toml`` and return the path."""
    path = tmp_path / "config.toml"
    path.write_text(one_account_text(imap, smtp), encoding="utf-8")
    return path
