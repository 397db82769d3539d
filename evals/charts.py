"""Report charts (matplotlib, no display needed): PNG bytes to embed in the HTML report."""

from __future__ import annotations

import io

from matplotlib.figure import Figure

from evals.metrics import ROUTES


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def family_chart(rates: dict[str, float], floors: dict[str, float]) -> bytes:
    """Pass rate per family as bars, the committed floor as a tick: what the gate compares."""
    names = sorted(rates)
    fig = Figure(figsize=(7, 0.35 * len(names) + 1.2))
    ax = fig.subplots()
    colors = ["#2e7d32" if rates[n] >= floors.get(n, 0.0) else "#c62828" for n in names]
    ax.barh(names, [rates[n] for n in names], color=colors)
    ax.scatter([floors.get(n, 0.0) for n in names], names, marker="|", s=300, color="black", label="floor", zorder=3)
    ax.set_xlim(0, 1.02)
    ax.invert_yaxis()
    ax.set_xlabel("pass rate (pass^1)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.3 / len(names)), frameon=False)
    ax.set_title("Pass rate per family")
    return _png(fig)


def confusion_chart(matrix: list[list[int]]) -> bytes:
    """Expected route against taken route, counts in the cells."""
    fig = Figure(figsize=(5, 4.2))
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(ROUTES)), ROUTES, rotation=30, ha="right")
    ax.set_yticks(range(len(ROUTES)), ROUTES)
    ax.set_xlabel("taken route")
    ax.set_ylabel("expected route (first allowed)")
    peak = max((max(r) for r in matrix), default=0) or 1
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center", color="white" if value > peak / 2 else "black")
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_title("Confusion matrix")
    return _png(fig)


def reliability_chart(table: list[dict[str, float]], ece: float | None) -> bytes:
    """Reliability diagram: accuracy per confidence bin against the diagonal of perfect calibration."""
    fig = Figure(figsize=(5, 4.2))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    if table:
        centres = [(b["lo"] + b["hi"]) / 2 for b in table]
        ax.bar(centres, [b["accuracy"] for b in table], width=0.09, alpha=0.7, color="#1565c0", label="accuracy")
        ax.plot(
            [b["confidence"] for b in table],
            [b["accuracy"] for b in table],
            "o-",
            color="#e65100",
            label="accuracy at mean confidence",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("router confidence")
    ax.set_ylabel("share with an allowed category")
    ax.set_title(f"Reliability diagram (ECE {ece:.3f})" if ece is not None else "Reliability diagram")
    ax.legend(loc="upper left")
    return _png(fig)
