"""The benchmarks' own PostgreSQL database, for the bench scripts that need one."""

from __future__ import annotations

from urllib.parse import urlparse, urlunparse


def create_database(url: str, reuse: bool) -> None:
    """Create the database of `url` afresh (dropped first if it exists), or keep it if
    `reuse` and it exists."""
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not reuse:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or not reuse:
            conn.execute(f'CREATE DATABASE "{name}"')
