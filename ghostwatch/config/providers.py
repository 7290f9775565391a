"""PURE: IMAP and SMTP presets of the common mail providers, for ``ghostwatch init``.

Each preset is what the provider itself publishes (looked up 2026-12; re-check the page
named in ``source`` when a provider changes its servers):

- Gmail: support.google.com/mail/answer/7126229 ("IMAP server imap.gmail.com, SSL,
  993; SMTP smtp.gmail.com, SSL 465 or STARTTLS 587"); an app password needs 2-Step
  Verification; IMAP access may have to be enabled in Gmail's settings.
- Fastmail: fastmail.com/help/technical/servernamesandports.html (imap.fastmail.com
  993 and smtp.fastmail.com 465, "SSL/TLS, but not STARTTLS"); an app password is
  required, the regular password does not work.
- Outlook.com: support.microsoft.com "POP, IMAP, and SMTP settings for Outlook.com"
  (outlook.office365.com 993 SSL/TLS; smtp-mail.outlook.com 587 STARTTLS); Microsoft
  turned basic authentication off for Outlook.com (September 2024): OAuth2 only.
- iCloud: support.apple.com/102525 "iCloud Mail server settings for other email client
  apps" (imap.mail.me.com 993 SSL; smtp.mail.me.com 587 STARTTLS); an app-specific
  password; the IMAP user name is the part of the address before the @.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Security = Literal["tls", "starttls"]
Auth = Literal["password", "xoauth2"]


@dataclass(frozen=True, slots=True)
class Server:
    """One server: host, port and how the connection is secured."""

    host: str
    port: int
    security: Security


@dataclass(frozen=True, slots=True)
class Provider:
    """A provider's servers and the advice ``init`` writes next to the password key.

    ``imap_user_is_local_part``: the IMAP login is the address's local part (iCloud).
    ``all_folder``: the ``folders.all`` value (Gmail's "All Mail" holds replies that a
    filter moved out of INBOX).
    ``auth``: ``"xoauth2"`` where the provider takes no password over IMAP and SMTP any
    more (Outlook.com): ``init`` then writes a token helper's ``password_command``.
    """

    key: str
    label: str
    imap: Server
    smtp: Server
    login_hint: str
    source: str
    imap_user_is_local_part: bool = False
    all_folder: str = ""
    auth: Auth = "password"


PROVIDERS: dict[str, Provider] = {
    "gmail": Provider(
        key="gmail",
        label="Gmail / Google Workspace",
        imap=Server("imap.gmail.com", 993, "tls"),
        smtp=Server("smtp.gmail.com", 465, "tls"),
        login_hint="an app password (myaccount.google.com/apppasswords; needs 2-Step "
        "Verification); enable IMAP in Gmail's settings first",
        source="https://support.google.com/mail/answer/7126229",
        all_folder="auto",
    ),
    "fastmail": Provider(
        key="fastmail",
        label="Fastmail",
        imap=Server("imap.fastmail.com", 993, "tls"),
        smtp=Server("smtp.fastmail.com", 465, "tls"),
        login_hint="an app password (Settings > Privacy & Security > Manage app "
        "passwords); your regular password does not work",
        source="https://www.fastmail.com/help/technical/servernamesandports.html",
    ),
    "outlook": Provider(
        key="outlook",
        label="Outlook.com / Hotmail",
        imap=Server("outlook.office365.com", 993, "tls"),
        smtp=Server("smtp-mail.outlook.com", 587, "starttls"),
        login_hint="an OAuth2 access token from a token helper such as oama (docs/setup.md, "
        "OAuth2); Outlook.com takes no password over IMAP or SMTP any more",
        source="https://support.microsoft.com/en-us/office/"
        "pop-imap-and-smtp-settings-for-outlook-com-d088b986-291d-42b8-9564-9c414e2aa040",
        auth="xoauth2",
    ),
    "icloud": Provider(
        key="icloud",
        label="iCloud Mail",
        imap=Server("imap.mail.me.com", 993, "tls"),
        smtp=Server("smtp.mail.me.com", 587, "starttls"),
        login_hint="an app-specific password (account.apple.com > Sign-In and "
        "Security > App-Specific Passwords)",
        source="https://support.apple.com/102525",
        imap_user_is_local_part=True,
    ),
}


def generic(domain: str) -> Provider:
    """A guess for any other provider: ``imap.<domain>`` on 993 (TLS) and
    ``smtp.<domain>`` on 587 (STARTTLS), the submission defaults of RFC 8314 / 6409.
    ``init`` says to check them against the provider's documentation."""
    return Provider(
        key="generic",
        label="another provider",
        imap=Server(f"imap.{domain}", 993, "tls"),
        smtp=Server(f"smtp.{domain}", 587, "starttls"),
        login_hint="your mailbox password or an app password",
        source="your provider's help pages (server names, ports, security)",
    )


def provider_for(key: str, domain: str) -> Provider:
    """The preset named ``key`` (``generic`` builds one for ``domain``); raise
    ``KeyError`` for an unknown key."""
    if key == "generic":
        return generic(domain)
    return PROVIDERS[key]


def guess_provider(domain: str) -> str:
    """The preset key an address's domain implies, ``generic`` if none does."""
    known = {
        "gmail.com": "gmail",
        "googlemail.com": "gmail",
        "fastmail.com": "fastmail",
        "fastmail.fm": "fastmail",
        "outlook.com": "outlook",
        "hotmail.com": "outlook",
        "live.com": "outlook",
        "icloud.com": "icloud",
        "me.com": "icloud",
        "mac.com": "icloud",
    }
    return known.get(domain.lower(), "generic")


PROVIDER_KEYS = (*PROVIDERS, "generic")
