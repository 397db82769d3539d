"""Engines and schema migrations: one SQLAlchemy engine per store, migrated to head on open.

SQLite runs in WAL mode with explicit `BEGIN` (so DDL is transactional and writers take the lock
up front with `BEGIN IMMEDIATE`), which lets several processes share one file. PostgreSQL migrations
are serialised with an advisory lock, so two servers starting together do not race.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.pool import StaticPool

from tools.store.urls import sqlalchemy_url, sqlite_path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
IMMEDIATE = {"sqlite_immediate": True}
_PG_MIGRATION_LOCK = 0x48454C50  # "HELP": one advisory lock key for this schema's migrations
SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    """An engine for `url`, with SQLite tuned for concurrent use."""
    sa_url = sqlalchemy_url(url)
    if sa_url.get_backend_name() == "postgresql":
        return create_engine(sa_url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    path = sqlite_path(url)
    if path is None:
        engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(sa_url.set(database=str(path)), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    _tune_sqlite(engine, wal=path is not None)
    return engine


def _tune_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _on_begin)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if wal:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """The alembic configuration of the shipped migrations (also for `command.revision` in development)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", str(sqlalchemy_url(url)).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision, once, whoever else opens the store at the same time."""
    with engine.connect().execution_options(**IMMEDIATE) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), "head")
