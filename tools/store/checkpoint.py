"""The LangGraph checkpointer from the store setting, so threads (and paused reviews) survive restarts.

SQLite: the checkpoints live in their own file beside the store (`helpdesk.db` ->
`helpdesk.checkpoints.sqlite`), so the saver's schema and the store's migrations never meet.
PostgreSQL: the same database (and search path) as the store, through a connection pool.

`async_checkpointer` takes no required argument, so langgraph.json can name it directly:
`"checkpointer": {"path": "./tools/store/checkpoint.py:async_checkpointer"}`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

from tools.store.urls import is_postgres, psycopg_conninfo, resolve_url, sqlite_path

POOL_MAX_SIZE = 10


def checkpoint_path(url: str) -> str:
    """The SQLite checkpoint file of a SQLite store URL (":memory:" for an in-memory store)."""
    path = sqlite_path(url)
    if path is None:
        return ":memory:"
    return str(path.with_name(f"{path.stem}.checkpoints.sqlite"))


def _pool_kwargs() -> dict[str, object]:
    from psycopg.rows import dict_row

    return {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}


@contextmanager
def checkpointer(url: str | None = None) -> Iterator[BaseCheckpointSaver]:
    """A synchronous saver for `url` (else `HELPDESK_STORE`, else the default SQLite store), set up."""
    url = resolve_url(url)
    if is_postgres(url):
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg_pool import ConnectionPool

        with ConnectionPool(psycopg_conninfo(url), max_size=POOL_MAX_SIZE, kwargs=_pool_kwargs(), open=False) as pool:
            saver = PostgresSaver(pool)  # type: ignore[arg-type]
            saver.setup()
            yield saver
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    with SqliteSaver.from_conn_string(checkpoint_path(url)) as saver:
        saver.setup()
        yield saver


@asynccontextmanager
async def async_checkpointer(url: str | None = None) -> AsyncIterator[BaseCheckpointSaver]:
    """The async saver for servers (`langgraph dev` custom checkpointer, async graph calls)."""
    url = resolve_url(url)
    if is_postgres(url):
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg_pool import AsyncConnectionPool

        async with AsyncConnectionPool(
            psycopg_conninfo(url), max_size=POOL_MAX_SIZE, kwargs=_pool_kwargs(), open=False
        ) as pool:
            saver = AsyncPostgresSaver(pool)  # type: ignore[arg-type]
            await saver.setup()
            yield saver
        return
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    async with AsyncSqliteSaver.from_conn_string(checkpoint_path(url)) as saver:
        await saver.setup()
        yield saver
