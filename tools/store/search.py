"""Full-text search over tickets and their conversations: SQLite FTS5 or PostgreSQL tsvector.

A query is cut into words (any language, `\\w+`); a ticket matches when every word is a prefix of a
word in its text or conversation, so "vpn" finds "VPN-Verbindung" and "VPN-Client" alike. Text and
query are folded the same way (lower case, no diacritics) on both backends. Words
are passed as data, never as query syntax, so no input can break the search.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, column, delete, func, insert, literal_column, select, table, text

from tools.store import schema as t

MAX_WORDS = 16
_FTS = table("search_fts", column("ticket_id"), column("body"))


@dataclass(frozen=True)
class SearchFilters:
    agent: str | None = None
    category: str | None = None
    source: str | None = None
    since: datetime | None = None


def fold(text: str) -> str:
    """Lower case without diacritics ("ständig" -> "standig"), so accents never decide a match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(query: str) -> list[str]:
    """The distinct words of a query, folded, at most `MAX_WORDS`."""
    seen: dict[str, None] = {}
    for word in re.findall(r"\w+", fold(query)):
        seen.setdefault(word, None)
    return list(seen)[:MAX_WORDS]


def replace_search_doc(conn: Connection, ticket_id: str, body: str) -> None:
    """Index `body` as the ticket's searchable text (one document per ticket: its latest run)."""
    body = fold(body)
    if conn.dialect.name == "postgresql":
        conn.execute(delete(t.search_docs).where(t.search_docs.c.ticket_id == ticket_id))
        conn.execute(insert(t.search_docs), [{"ticket_id": ticket_id, "body": body}])
        return
    conn.execute(text("DELETE FROM search_fts WHERE ticket_id = :id"), {"id": ticket_id})
    conn.execute(text("INSERT INTO search_fts (ticket_id, body) VALUES (:id, :body)"), {"id": ticket_id, "body": body})


def search_tickets(conn: Connection, query: str, filters: SearchFilters, limit: int) -> list[dict[str, Any]]:
    """The matching tickets, best first, each with its decision and conversation."""
    terms = words(query)
    if not terms:
        stmt = select(t.tickets.c.id, literal_column("0.0").label("rank")).order_by(t.tickets.c.last_run_at.desc())
    elif conn.dialect.name == "postgresql":
        tsquery = func.to_tsquery("simple", " & ".join(f"{w}:*" for w in terms))
        rank = func.ts_rank(t.search_docs.c.tsv, tsquery)
        stmt = (
            select(t.tickets.c.id, rank.label("rank"))
            .join(t.search_docs, t.search_docs.c.ticket_id == t.tickets.c.id)
            .where(t.search_docs.c.tsv.op("@@")(tsquery))
            .order_by(rank.desc(), t.tickets.c.last_run_at.desc())
        )
    else:
        match = " AND ".join('"' + w.replace('"', "") + '"*' for w in terms)
        rank = func.bm25(literal_column("search_fts"))
        stmt = (
            select(t.tickets.c.id, (-rank).label("rank"))
            .select_from(_FTS.join(t.tickets, t.tickets.c.id == _FTS.c.ticket_id))
            .where(literal_column("search_fts").op("MATCH")(match))
            .order_by(rank, t.tickets.c.last_run_at.desc())
        )
    hits = conn.execute(_filtered(stmt, filters).limit(limit)).all()
    return hydrate(conn, [(row.id, float(row.rank or 0.0)) for row in hits])


def _filtered(stmt: Select[Any], filters: SearchFilters) -> Select[Any]:
    if filters.agent:
        stmt = stmt.where(func.lower(t.tickets.c.agent) == filters.agent.lower())
    if filters.category:
        stmt = stmt.where(t.tickets.c.category == filters.category)
    if filters.source:
        stmt = stmt.where(t.tickets.c.source == filters.source.lower())
    if filters.since:
        stmt = stmt.where(t.tickets.c.last_run_at >= filters.since)
    return stmt


def hydrate(conn: Connection, ranked: list[tuple[str, float]]) -> list[dict[str, Any]]:
    """Ticket, latest decision, conversation and latest feedback for each id, in the given order."""
    if not ranked:
        return []
    ids = [ticket_id for ticket_id, _ in ranked]
    tickets = {r.id: r for r in conn.execute(select(t.tickets).where(t.tickets.c.id.in_(ids)))}
    run_ids = [r.last_run_id for r in tickets.values() if r.last_run_id]
    runs = {r.run_id: r for r in conn.execute(select(t.runs).where(t.runs.c.run_id.in_(run_ids)))}
    routing = {
        r.run_id: r
        for r in conn.execute(
            select(t.routing_decisions).where(
                t.routing_decisions.c.run_id.in_(run_ids), t.routing_decisions.c.stage == "final"
            )
        )
    }
    conversation: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in conn.execute(
        select(t.messages).where(t.messages.c.run_id.in_(run_ids)).order_by(t.messages.c.run_id, t.messages.c.seq)
    ):
        conversation[m.run_id].append({"seq": m.seq, "agent": m.agent, "node": m.node, "content": m.content})
    feedback: dict[str, Any] = {}
    for f in conn.execute(select(t.feedback).where(t.feedback.c.ticket_id.in_(ids)).order_by(t.feedback.c.time)):
        feedback[f.ticket_id] = {
            "confirmed": f.confirmed,
            "category": f.category,
            "note": f.note,
            "source": f.source,
            "time": f.time.isoformat(),
        }
    hits = []
    for ticket_id, rank in ranked:
        ticket = tickets.get(ticket_id)
        if ticket is None:
            continue
        run = runs.get(ticket.last_run_id)
        decision = routing.get(ticket.last_run_id)
        hits.append(
            {
                "ticket": {
                    "id": ticket.id,
                    "source": ticket.source,
                    "subject": ticket.subject,
                    "description": ticket.description,
                    "language": ticket.language,
                    "priority": ticket.priority,
                    "created_at": _iso(ticket.created_at),
                },
                "decision": {
                    "category": ticket.category,
                    "route": ticket.route,
                    "agent": ticket.agent,
                    "confidence": ticket.confidence,
                    "escalated": ticket.escalated,
                    "outcome": run.outcome if run else None,
                    "resolution": run.resolution if run else None,
                    "writeback_status": run.writeback_status if run else None,
                    "reason": decision.reason if decision else None,
                    "evidence": decision.evidence if decision else [],
                    "model": decision.model if decision else None,
                    "model_version": decision.model_version if decision else None,
                    "threshold": decision.threshold if decision else None,
                },
                "conversation": conversation.get(ticket.last_run_id, []),
                "feedback": feedback.get(ticket_id),
                "run_id": ticket.last_run_id,
                "finished_at": _iso(ticket.last_run_at),
                "rank": round(rank, 6),
            }
        )
    return hits


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
