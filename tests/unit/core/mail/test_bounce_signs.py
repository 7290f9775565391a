"""Header signs of a bounce: the strong ones make a BOUNCE from the headers alone, the
weak ones only ask for the body (ghostwatch/core/mail/bounce_signs.py). Pure."""

from __future__ import annotations

import pytest

from ghostwatch.core.domain import Envelope, Kind
from ghostwatch.core.mail.bounce_signs import bounce_reason, bounce_suspect


def env(
    from_addr: str = "jane@acme.example", from_name: str = "Jane", subject: str = "Logo", **h: str
) -> Envelope:
    headers = {name.replace("_", "-"): value for name, value in h.items()}
    return Envelope(None, None, from_addr, from_name, subject=subject, headers=headers)


def test_a_person_writing_is_no_bounce() -> None:
    assert bounce_reason(env(), None) is None


@pytest.mark.parametrize(
    ("envelope", "report"),
    [
        (env(), "delivery-status"),
        (env(), ""),  # a multipart/report without a report-type
        (env(x_failed_recipients="jane@acme.example"), None),
        (env("mailer-daemon@mx.example", ""), None),
        (env("postmaster@acme.example", "Postmaster"), None),
        (env("", "Mail Delivery Subsystem"), None),
        (env("notify@mx.example", "Mail Delivery System"), None),
        (env("design-owner@lists.example", "", list_id="<design.lists.example>"), None),
        (env("noreply@acme.example", "", "Undeliverable: Logo"), None),
        (env("jane@acme.example", "", "Returned mail: see transcript", return_path="<>"), None),
    ],
)
def test_strong_signs_make_a_bounce(envelope: Envelope, report: str | None) -> None:
    assert bounce_reason(envelope, report) is not None


@pytest.mark.parametrize(
    "envelope",
    [
        env(subject="Undeliverable: Logo"),  # a person's address, no automated sign
        env(subject="Re: Undeliverable: Logo", auto_submitted="auto-replied"),
        env("design-owner@lists.example"),  # a list address without list headers
        env(subject="Delivery of the logo files"),
    ],
)
def test_what_a_person_writes_is_no_strong_sign(envelope: Envelope) -> None:
    assert bounce_reason(envelope, None) is None


def test_a_read_receipt_is_no_bounce() -> None:
    assert bounce_reason(env(), "disposition-notification") is None


@pytest.mark.parametrize(
    "subject",
    ["Undeliverable: Logo", "Fwd: Returned mail", "FW: Delivery failed", "** Undeliverable"],
)
def test_a_bounce_subject_from_a_person_is_a_weak_sign(subject: str) -> None:
    assert bounce_suspect(env(subject=subject), Kind.HUMAN, "human")


def test_a_reply_about_a_bounce_is_no_sign() -> None:
    assert not bounce_suspect(env(subject="Re: Undeliverable: Logo"), Kind.HUMAN, "human")


def test_a_null_return_path_and_a_cloud_notifier_are_weak_signs() -> None:
    assert bounce_suspect(env(), Kind.AUTO_REPLY, "null Return-Path")
    ses = env("no-reply@sns.amazonaws.com", "AWS Notifications")
    assert bounce_suspect(ses, Kind.BULK, "header List-Unsubscribe")
    assert not bounce_suspect(env("news@shop.example"), Kind.BULK, "header List-Unsubscribe")
