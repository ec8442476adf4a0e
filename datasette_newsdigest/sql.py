"""SQL function adapters: thin wrappers around digest.py (filled in by the digest issue)."""


def register(conn):
    """Register the newsdigest SQL functions on a sqlite3 connection."""
