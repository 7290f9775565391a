"""``ghostwatch demo``: the product end to end on throwaway in-process servers."""
