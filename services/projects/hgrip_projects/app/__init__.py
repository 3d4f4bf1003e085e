"""Projects' use cases: creation, queries, delegation moves (plain Python over ports)."""
