"""Alembic environment: migrate the connection `tools.store.engine.migrate` hands over (or the configured URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from tools.store.schema import metadata

config = context.config


SEARCH_TABLES = ("search_docs", "search_fts")  # per-dialect and hand-written in the migrations


def _include_object(_obj: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
    """Keep autogenerate away from the full-text tables, which differ by dialect on purpose."""
    return not (type_ == "table" and name is not None and name.startswith(SEARCH_TABLES))


def _run(connection: object) -> None:
    context.configure(
        connection=connection, target_metadata=metadata, render_as_batch=True, include_object=_include_object
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
