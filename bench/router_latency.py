"""Time Lola's embedded router: artifact load, and prediction per ticket (the issue's budget: load
well under a second, predict under 2 ms).

Imports are timed apart from the load (numpy, scipy and scikit-learn are paid once by any process).
Tickets are the team-written corpus: realistic lengths, five languages. The first pass is reported
apart: the router remembers the n-grams of words it has seen, so repeated passes flatter it.

    uv run python bench/router_latency.py [--file TICKETS.jsonl] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

WRITTEN = Path(__file__).resolve().parent.parent / "data" / "corpus" / "written"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, help="JSONL tickets (subject, description); default: the written corpus")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the tickets (the first one is unseen)")
    args = parser.parse_args()

    started = time.perf_counter()
    from tools.router.corpus import ticket_text
    from tools.router.model import load_router

    imported = time.perf_counter()
    router = load_router()
    loaded = time.perf_counter()

    files = [args.file] if args.file else sorted(WRITTEN.glob("*.jsonl"))
    texts = [ticket_text(json.loads(line)) for path in files for line in path.open(encoding="utf-8") if line.strip()]
    router.predict("warm up")
    passes = []
    for _ in range(args.repeat):
        timings = []
        for text in texts:
            begin = time.perf_counter()
            router.predict(text)
            timings.append((time.perf_counter() - begin) * 1000)
        passes.append(timings)
    print(f"router {router.model_version} ({router.embedding} embedding)")
    print(f"imports {imported - started:.2f} s, load {loaded - imported:.2f} s")
    print(f"predict over {len(texts)} tickets, first pass: {_summary(passes[0])}")
    if len(passes) > 1:
        every = [t for timings in passes for t in timings]
        print(f"predict over {len(texts)} tickets, {len(passes)} passes: {_summary(every)}")


def _summary(timings: list[float]) -> str:
    ordered = sorted(timings)
    return (
        f"p50 {statistics.median(ordered):.2f} ms, p95 {ordered[int(0.95 * len(ordered))]:.2f} ms, "
        f"mean {statistics.fmean(ordered):.2f} ms"
    )


if __name__ == "__main__":
    main()
