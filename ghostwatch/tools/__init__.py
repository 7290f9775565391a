"""Developer tools: the man page and the translation catalogues."""
