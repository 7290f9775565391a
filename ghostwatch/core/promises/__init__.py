"""Promises in client replies ("I'll pay on Friday") and what they do to the ladders."""
