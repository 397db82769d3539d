"""Seeded text generators for tickets too big (or too noisy) to keep in the suite's JSONL.

The same spec always yields the same text, so a generated ticket is as reproducible as a written one.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

_LEVELS = ("DEBUG", "INFO", "INFO", "INFO", "WARN", "ERROR")
_COMPONENTS = ("netsvc", "dhcpc", "wlan0", "agentd", "sync", "kernel", "updater", "spooler")
_EVENTS = (
    "heartbeat ok rtt={n}ms",
    "retrying request id={h} attempt={d}",
    "lease renewed for {ip} ttl={n}s",
    "cache miss key={h}",
    "queue depth {n}",
    "handshake completed cipher=TLS_AES_128_GCM_SHA256 peer={ip}",
    "timeout waiting for {ip}:443 after {n}ms",
    "worker {d} idle",
)


def _log_line(rng: random.Random, index: int) -> str:
    event = rng.choice(_EVENTS).format(
        n=rng.randint(1, 9000),
        h="".join(rng.choices(string.hexdigits.lower(), k=8)),
        d=rng.randint(1, 9),
        ip=f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
    )
    stamp = f"2026-03-{1 + index // 86400 % 28:02d}T{index // 3600 % 24:02d}:{index // 60 % 60:02d}:{index % 60:02d}Z"
    return f"{stamp} {rng.choice(_LEVELS):5} {rng.choice(_COMPONENTS)}: {event}"


def _log_flood(rng: random.Random, chars: int) -> list[str]:
    lines, size, index = [], 0, 0
    while size < chars:
        line = _log_line(rng, index)
        lines.append(line)
        size += len(line) + 1
        index += 1
    return lines


def _noise(rng: random.Random, chars: int) -> list[str]:
    alphabet = string.ascii_letters + string.digits + "      .,;:!?#%&*+-=/\\|~^§°€ßøæ"
    return ["".join(rng.choices(alphabet, k=chars))]


def _repeat(rng: random.Random, chars: int) -> list[str]:
    del rng  # repetition needs no randomness; the signature is shared
    return ["please help " * (chars // 12 + 1)]


_KINDS: dict[str, Callable[[random.Random, int], list[str]]] = {
    "log_flood": _log_flood,
    "noise": _noise,
    "repeat": _repeat,
}


def generate_text(kind: str, seed: int, chars: int, lead: str = "") -> str:
    """`lead` (the human-written part of the ticket) followed by `chars` characters of generated text."""
    body = "\n".join(_KINDS[kind](random.Random(seed), chars))[:chars]
    return f"{lead}\n\n{body}" if lead else body
