"""The helpdesk's store: audit trail, search and metrics over SQLite (default) or PostgreSQL."""

from tools.store.store import Store, StoreAuditSink, UnknownTicketError, open_store
from tools.store.urls import DEFAULT_URL

__all__ = ["DEFAULT_URL", "Store", "StoreAuditSink", "UnknownTicketError", "open_store"]
