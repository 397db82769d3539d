"""Time the specialists' runbook retrieval once its indexes are built (budget: under 10 ms per query).

Queries are the team-written corpus, each retrieved in the domain of its label (out-of-scope tickets
in every domain), as the specialists do after Lola routes. Each query is a new ticket: its terms and
its sentence embedding (about 4-5 ms of the total, the full multilingual encoder) are computed afresh.

    uv run python bench/retrieval_latency.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

WRITTEN = Path(__file__).resolve().parent.parent / "data" / "corpus" / "written"
DOMAINS = ("network", "software_cloud", "hardware")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="passes over the tickets")
    args = parser.parse_args()

    from tools.knowledge import retrieve, semantic
    from tools.knowledge.retrieval import query_terms

    rows = [json.loads(line) for path in sorted(WRITTEN.glob("*.jsonl")) for line in path.open(encoding="utf-8")]
    queries = [
        (domain, f"{row.get('subject') or ''}\n{row['description']}", row["language"])
        for row in rows
        for domain in ([row["label"]] if row["label"] in DOMAINS else DOMAINS)
    ]
    started = time.perf_counter()
    for domain in DOMAINS:
        retrieve(domain, "warm up", "en")
    built = time.perf_counter()
    timings = []
    for _ in range(args.repeat):
        for domain, text, language in queries:
            query_terms.cache_clear()  # a new ticket: what the first specialist pays
            semantic.ticket_vector.cache_clear()
            begin = time.perf_counter()
            retrieve(domain, text, language)
            timings.append((time.perf_counter() - begin) * 1000)
    timings.sort()
    print(f"index build {built - started:.2f} s")
    print(
        f"retrieve over {len(queries)} queries x {args.repeat}: p50 {statistics.median(timings):.2f} ms, "
        f"p95 {timings[int(0.95 * len(timings))]:.2f} ms, mean {statistics.fmean(timings):.2f} ms"
    )


if __name__ == "__main__":
    main()
