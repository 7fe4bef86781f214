"""The rate sweeps' plots (PNG, matplotlib): latency and throughput against the offered rate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scripts.bench.records import NAMES


def plot_sweep(steps: list[dict[str, Any]], workload: str, backend: str, img_dir: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    except ImportError:
        return None
    img_dir.mkdir(parents=True, exist_ok=True)
    fig, (ax_lat, ax_thr) = plt.subplots(1, 2, figsize=(11, 4.2))
    for server, color in (("ours", "tab:blue"), ("sio", "tab:orange")):
        pts = sorted(
            (s for s in steps if s["server"] == server and s["phase"] == "sweep"), key=lambda s: s["offered_per_s"]
        )
        if not pts:
            continue
        x = [s["offered_per_s"] for s in pts]
        ax_lat.plot(x, [s["latency"]["p99_ms"] for s in pts], "o-", color=color, label=f"{NAMES[server]} p99")
        ax_lat.plot(
            x, [s["latency"]["p50_ms"] for s in pts], "s--", color=color, alpha=0.6, label=f"{NAMES[server]} p50"
        )
        ax_thr.plot(x, [s["delivered_per_s"] for s in pts], "o-", color=color, label=NAMES[server])
    expected = sorted({(s["offered_per_s"], s["expected_per_s"]) for s in steps if s["phase"] == "sweep"})
    if expected:
        ax_thr.plot([e[0] for e in expected], [e[1] for e in expected], ":", color="grey", label="offered")
    ax_lat.set(xscale="log", yscale="log", xlabel="offered messages/s", ylabel="latency, ms (send → delivery)")
    ax_thr.set(
        xscale="log",
        yscale="log",
        xlabel="offered messages/s",
        ylabel="delivered " + ("deliveries/s" if workload == "fanout" else "messages/s"),
    )
    ax_lat.axhline(10, color="grey", lw=0.8, ls=":")
    for ax in (ax_lat, ax_thr):
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
            axis.set_minor_formatter(NullFormatter())
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{workload} — chatserver ({backend}) vs python-socketio")
    fig.tight_layout()
    name = f"bench-{workload}-{backend}.png"
    fig.savefig(img_dir / name, dpi=90)
    plt.close(fig)
    return name
