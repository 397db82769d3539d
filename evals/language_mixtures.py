"""How often the requester's language is misread when other text is pasted into their ticket.

Each written-corpus ticket (seeded sample per language) is scored plain and with something appended:
a forwarded message in another language, a block of English log lines, a paragraph in another
language a third as long as the ticket, and a sentence in another language of that length at the end
of the ticket's own paragraph (code-switching). `uv run python -m evals.language_mixtures` prints the errors
per kind. Built from our own corpus only; the measuring set is never read.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict

from tools.language import detect_language
from tools.router.corpus import ticket_text
from tools.router.written import read_written

PER_LANGUAGE = 200
SEED = 7
LOG_LINES = (
    "2024-03-0{d} 10:1{m}:22 [ERROR] Connection to gateway timed out after 30000 ms",
    "2024-03-0{d} 10:1{m}:23 [WARN] Retrying request (attempt {m}/5)",
    "[INFO] Loaded configuration from C:\\ProgramData\\App\\config.xml",
    "   at System.Net.Http.HttpClient.SendAsync(HttpRequestMessage request)",
    "Caused by: java.net.SocketTimeoutException: Read timed out",
    "ERROR: failed to authenticate the request, status 403 Forbidden",
)


def mixtures(seed: int = SEED) -> list[tuple[str, str, str]]:
    """(kind, the requester's language, text) for every sampled ticket and kind."""
    texts: dict[str, list[str]] = defaultdict(list)
    for row in read_written():
        texts[row["language"]].append(ticket_text(row).strip())
    rng = random.Random(seed)
    cases: list[tuple[str, str, str]] = []
    for language in sorted(texts):
        others = [lang for lang in sorted(texts) if lang != language]
        for text in rng.sample(texts[language], PER_LANGUAGE):
            other = rng.choice(texts[rng.choice(others)])
            forward = "---------- Forwarded message ---------\nFrom: Service <noreply@example.com>\nSubject: notice"
            log = "\n".join(
                rng.choice(LOG_LINES).format(d=rng.randint(1, 9), m=rng.randint(0, 9))
                for _ in range(rng.randint(3, 15))
            )
            cases += [
                ("plain", language, text),
                ("forward", language, f"{text}\n\n{forward}\n\n{other}"),
                ("log", language, f"{text}\n\n{log}"),
                ("paragraph", language, f"{text}\n\n{other[: max(20, len(text) // 3)]}"),
                ("sentence", language, f"{text.rstrip()} {_first_sentence(other, max(20, len(text) // 3))}"),
            ]
    return cases


def _first_sentence(text: str, limit: int) -> str:
    """The other ticket's opening, cut at a sentence end within `limit` characters when there is one,
    on one line: a sentence switched into the requester's own paragraph."""
    head = " ".join(text.split())[:limit]
    end = max(head.rfind(". "), head.rfind("? "), head.rfind("! "))
    return head[: end + 1] if end >= 20 else head


def main() -> None:
    errors: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for kind, language, text in mixtures():
        totals[kind] += 1
        errors[kind] += detect_language(text).code != language
    for kind in totals:
        print(f"{kind:10} wrong language {errors[kind]:4} of {totals[kind]}")


if __name__ == "__main__":
    main()
