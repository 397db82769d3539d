"""One store setting, three consumers: SQLAlchemy, psycopg (checkpointer) and the SQLite file path.

Users write `sqlite:///PATH` or `postgresql://...`; each consumer needs its own dialect of that URL.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url

DEFAULT_URL = "sqlite:///.helpdesk/helpdesk.db"
ENV_VAR = "HELPDESK_STORE"


def resolve_url(url: str | None = None) -> str:
    """The URL in force: the argument, else `HELPDESK_STORE`, else the embedded SQLite default."""
    return (url or os.environ.get(ENV_VAR) or DEFAULT_URL).strip()


def sqlalchemy_url(url: str) -> URL:
    """The SQLAlchemy URL: PostgreSQL always through the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        raise ValueError(f"unsupported store URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql://")
    return parsed


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def psycopg_conninfo(url: str) -> str:
    """The libpq connection string psycopg and the LangGraph Postgres savers take."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None for in-memory), its parent directory created."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    path = Path(database).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)
