"""The outside world: IMAP, SMTP, systemd, terminals and logs, behind ``ports``."""
