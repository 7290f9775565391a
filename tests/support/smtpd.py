"""Fixtures: a real aiosmtpd SMTP server on loopback (being written)."""
