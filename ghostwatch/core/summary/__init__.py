"""The daily summary: its facts, its words and its rendering (text and HTML)."""
