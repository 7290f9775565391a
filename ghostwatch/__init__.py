"""ghostwatch: polite, exactly-once follow-up for a freelancer's own mailbox."""

__version__ = "0.1.0"
