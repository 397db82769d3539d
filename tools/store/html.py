"""The report as one self-contained HTML page: headline cards and charts, no external resources.

Charts are drawn with matplotlib (Agg) and embedded as base64 PNG; the CSS is inline. The page
opens offline, attaches to an e-mail and prints.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from typing import Any

GOOD, FAIR, POOR, NEUTRAL = "#1b9e5a", "#e0a100", "#d1495b", "#3d6fb6"
P50, P95 = "#3d6fb6", "#a3c1ea"

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;
  background:#f4f6fa;color:#1d2433}
header{background:#1d2433;color:#fff;padding:24px 40px}
header h1{margin:0;font-size:26px}header p{margin:6px 0 0;color:#b8c2d6;font-size:14px}
main{padding:24px 40px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:16px;margin-bottom:28px}
.card{background:#fff;border-radius:10px;padding:16px 18px;box-shadow:0 1px 3px rgba(0,0,0,.08);
  border-top:5px solid #3d6fb6}
.card .label{font-size:13px;color:#5b6478;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:34px;font-weight:700;margin:6px 0 2px}
.card .sub{font-size:13px;color:#5b6478}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:20px}
.chart{background:#fff;border-radius:10px;padding:14px 18px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.chart h2{font-size:16px;margin:0 0 8px}.chart img{width:100%;height:auto}
.empty{color:#8a93a6;font-style:italic;padding:40px 0;text-align:center}
footer{padding:16px 40px 32px;color:#8a93a6;font-size:12px}
"""


def render_html(report: Mapping[str, Any]) -> str:
    """The whole page for a `Store.report()` dictionary."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    since = report.get("since") or "the beginning"
    cards = "".join(_card(*c) for c in _cards(report))
    charts = "".join(_chart_section(title, image) for title, image in _charts(report))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>Helpdesk report</title><style>{CSS}</style></head><body>"
        f"<header><h1>Helpdesk report</h1><p>Tickets since {_e(since)} · generated {_e(report.get('generated_at'))}"
        "</p></header>"
        f"<main><section class='cards'>{cards}</section><section class='charts'>{charts}</section></main>"
        "<footer>Rates count each ticket once (latest run, latest feedback). Empty charts mean no data yet."
        "</footer></body></html>"
    )


# --- cards ---------------------------------------------------------------------------------------


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _tone(rate: float | None, good: float, fair: float, *, higher_is_better: bool = True) -> str:
    if rate is None:
        return NEUTRAL
    if not higher_is_better:
        rate, good, fair = -rate, -good, -fair
    return GOOD if rate >= good else FAIR if rate >= fair else POOR


def _cards(r: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(label, value, sub-line, colour) for each headline."""
    tickets, runs = r.get("tickets", {}), r.get("runs", {})
    conf = r.get("resolution_confirmation_rate", {})
    false = r.get("false_confidence_rate", {})
    wb = r.get("writeback_success_rate", {})
    ttr = r.get("time_to_resolution", {})
    esc = r.get("escalation", {})
    lat = r.get("latency", {}).get("run", {})
    tok = r.get("tokens", {})
    vs = ttr.get("vs_baseline")
    ttr_sub = f"{ttr.get('resolved', 0)} resolved"
    if vs:
        ttr_sub += f" · {vs['p50_ratio'] * 100:.0f}% of baseline"
    cost = tok.get("cost")
    per_ticket = (tok.get("per_ticket") or {}).get("total")
    tok_sub = f"{tok.get('total_in', 0) + tok.get('total_out', 0)} tokens in total"
    if cost:
        tok_sub += f" · {cost['currency']} {cost['per_ticket'] or 0:.4f}/ticket"
    return [
        (
            "Tickets",
            str(tickets.get("total", 0)),
            f"{runs.get('total', 0)} runs · {runs.get('errors', 0)} errors",
            NEUTRAL,
        ),
        (
            "Resolutions confirmed",
            _pct(conf.get("rate")),
            f"{conf.get('confirmed', 0)} of {conf.get('tickets_with_feedback', 0)} with feedback",
            _tone(conf.get("rate"), 0.85, 0.7),
        ),
        (
            "False confidence",
            _pct(false.get("rate")),
            f"{false.get('false_confident', 0)} of {false.get('auto_routed_with_feedback', 0)} auto-routed, rated",
            _tone(false.get("rate"), 0.05, 0.1, higher_is_better=False),
        ),
        (
            "Write-backs landed",
            _pct(wb.get("rate")),
            f"{wb.get('confirmed', 0)} of {wb.get('total', 0)} writes · {wb.get('attempts', 0)} attempts",
            _tone(wb.get("rate"), 0.98, 0.9),
        ),
        ("Time to resolution (p50)", _duration(ttr.get("p50_s")), ttr_sub, NEUTRAL),
        (
            "Escalated to a person",
            _pct(esc.get("rate")),
            f"{esc.get('escalated', 0)} of {esc.get('tickets', 0)} tickets",
            _tone(esc.get("rate"), 0.3, 0.5, higher_is_better=False),
        ),
        ("Run latency (p95)", _ms(lat.get("p95_ms")), f"p50 {_ms(lat.get('p50_ms'))}", NEUTRAL),
        ("Tokens per ticket", "–" if per_ticket is None else f"{per_ticket:.0f}", tok_sub, NEUTRAL),
    ]


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"


def _card(label: str, value: str, sub: str, colour: str) -> str:
    return (
        f"<div class='card' style='border-top-color:{colour}'><div class='label'>{_e(label)}</div>"
        f"<div class='value' style='color:{colour}'>{_e(value)}</div><div class='sub'>{_e(sub)}</div></div>"
    )


# --- charts --------------------------------------------------------------------------------------


def _charts(r: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    conf = r.get("resolution_confirmation_rate", {})
    wb = r.get("writeback_success_rate", {})
    nodes = r.get("latency", {}).get("per_node", {})
    reasons = r.get("escalation", {}).get("reasons", {})
    false = r.get("false_confidence_rate", {}).get("by_category", {})
    return [
        ("Resolutions confirmed, by agent", _rate_chart(conf.get("by_agent", {}), "confirmed", "rejected")),
        ("Resolutions confirmed, by category", _rate_chart(conf.get("by_category", {}), "confirmed", "rejected")),
        ("Resolutions confirmed, by source", _rate_chart(conf.get("by_source", {}), "confirmed", "rejected")),
        ("False confidence, by category (lower is better)", _false_chart(false)),
        ("Latency per node (ms)", _latency_chart(nodes)),
        ("Why tickets escalate", _count_chart(reasons)),
        ("What the specialists did, by rule", _count_chart(r.get("specialist_outcomes", {}))),
        ("Write-backs landed, by platform", _rate_chart(wb.get("by_platform", {}), "confirmed", "total")),
        ("Write-backs landed, by action", _rate_chart(wb.get("by_action", {}), "confirmed", "total")),
    ]


def _chart_section(title: str, image: str | None) -> str:
    body = (
        f"<img alt='{_e(title)}' src='data:image/png;base64,{image}'>"
        if image
        else "<div class='empty'>No data yet</div>"
    )
    return f"<div class='chart'><h2>{_e(title)}</h2>{body}</div>"


def _figure(rows: float) -> tuple[Any, Any]:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 0.5 * max(rows, 2) + 0.9), dpi=130)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=10)
    return fig, ax


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _rate_chart(groups: Mapping[str, Mapping[str, Any]], ok_key: str, other_key: str) -> str | None:
    """Horizontal bars of rates, coloured by how good they are, each labelled with its counts."""
    items = [(name, g) for name, g in groups.items() if g.get("rate") is not None]
    if not items:
        return None
    fig, ax = _figure(len(items))
    names = [name for name, _ in items][::-1]
    rates = [g["rate"] for _, g in items][::-1]
    ax.barh(names, rates, color=[_tone(rate, 0.85, 0.7) for rate in rates], height=0.6)
    for y, (_, g) in enumerate(items[::-1]):
        total = g[ok_key] + g[other_key] if other_key != "total" else g["total"]
        ax.text(
            min(g["rate"], 1.0) + 0.01, y, f"{g['rate'] * 100:.0f}%  ({g[ok_key]}/{total})", va="center", fontsize=9
        )
    ax.set_xlim(0, 1.25)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    return _png(fig)


def _false_chart(groups: Mapping[str, Mapping[str, Any]]) -> str | None:
    items = [(name, g) for name, g in groups.items() if g.get("rate") is not None]
    if not items:
        return None
    fig, ax = _figure(len(items))
    names = [name for name, _ in items][::-1]
    rates = [g["rate"] for _, g in items][::-1]
    ax.barh(names, rates, color=[_tone(r, 0.05, 0.1, higher_is_better=False) for r in rates], height=0.6)
    top = min(max(max(rates), 0.1) * 1.3, 1.3)
    for y, (_, g) in enumerate(items[::-1]):
        ax.text(
            g["rate"] + top * 0.01,
            y,
            f"{g['rate'] * 100:.0f}%  ({g['false_confident']}/{g['with_feedback']})",
            va="center",
            fontsize=9,
        )
    ax.set_xlim(0, top)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v * 100:.0f}%")
    return _png(fig)


def _latency_chart(nodes: Mapping[str, Mapping[str, Any]]) -> str | None:
    """p50 and p95 per node, slowest first."""
    items = sorted(((n, s) for n, s in nodes.items() if s.get("p95_ms") is not None), key=lambda i: i[1]["p95_ms"])
    if not items:
        return None
    import numpy as np

    fig, ax = _figure(len(items) * 1.3)
    y = np.arange(len(items))
    ax.barh(y + 0.2, [s["p95_ms"] for _, s in items], height=0.38, color=P95, label="p95")
    ax.barh(y - 0.2, [s["p50_ms"] for _, s in items], height=0.38, color=P50, label="p50")
    ax.set_yticks(y, [n for n, _ in items])
    ax.set_xlabel("milliseconds")
    ax.legend(loc="lower right", frameon=False)
    return _png(fig)


def _count_chart(counts: Mapping[str, int]) -> str | None:
    items = sorted(counts.items(), key=lambda i: i[1])
    if not items:
        return None
    fig, ax = _figure(len(items))
    ax.barh([k for k, _ in items], [v for _, v in items], color=FAIR, height=0.6)
    for y, (_, v) in enumerate(items):
        ax.text(v, y, f" {v}", va="center", fontsize=9)
    ax.set_xlabel("tickets")
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _png(fig)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)
