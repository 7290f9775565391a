"""Fixtures: a real Dovecot IMAP server on loopback (being written)."""
