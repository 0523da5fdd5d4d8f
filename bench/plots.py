"""PNG plots of bench/run's medians, one line per implementation.

latency.png and bandwidth.png: against message size (2 ranks); collectives.png: one panel per
collective and size, against the rank count; footprint.png: shared memory against the rank
count. Needs matplotlib (Debian: python3-matplotlib). bench/run calls `render`, which runs
this file as a script, with the data as JSON on stdin, under the first Python that has
matplotlib (this one, or Debian's /usr/bin/python3 when this is another, say pyenv's).
"""

import json
import os
import subprocess
import sys
from types import SimpleNamespace

STYLE = {"ours": ("tab:red", "o"), "mpich": ("tab:blue", "s"), "ompi": ("tab:green", "^")}


def _size_label(n):
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} B"


def _size_axis(ax, sizes):
    """Log2 axis labelled in B/KiB/MiB; 0 B drawn at 0.25 so it shows on a log scale."""
    ax.set_xscale("log", base=2)
    ticks = [s for s in sizes if s == 0 or (s & (s - 1)) == 0]
    step = max(1, len(ticks) // 8)
    shown = ticks[::step]
    ax.set_xticks([s if s else 0.25 for s in shown])
    ax.set_xticklabels([_size_label(s) for s in shown], rotation=30)
    ax.minorticks_off()


def _lines(ax, impls, series, label_zero=True):
    for impl in impls:
        points = series.get(impl.key)
        if not points:
            continue
        xs = sorted(points)
        color, marker = STYLE.get(impl.key, (None, "x"))
        ax.plot([x if x or not label_zero else 0.25 for x in xs], [points[x] for x in xs],
                label=impl.label, color=color, marker=marker, markersize=4, linewidth=1.5)


def _has_matplotlib(python):
    try:
        return subprocess.run([python, "-c", "import matplotlib"], capture_output=True,
                              timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def render(impls, medians, footprints, outdir, prefix="", title_note=""):
    """Writes the PNGs; returns (paths written, note) where note says why none, if so.

    medians: {(impl, program, ranks): {size or (collective, bytes): value}};
    footprints: {(impl, ranks): {"allocated": bytes, ...} or None}.
    """
    python = next((p for p in dict.fromkeys([sys.executable, "/usr/bin/python3"])
                   if p and os.access(p, os.X_OK) and _has_matplotlib(p)), None)
    if python is None:
        return [], ("matplotlib not found (Debian: apt-get install python3-matplotlib, or "
                    "scripts/install-deps): no plots")
    data = {
        "impls": [[i.key, i.label] for i in impls],
        "medians": [[list(k), [[list(s) if isinstance(s, tuple) else s, v] for s, v in vals.items()]]
                    for k, vals in medians.items()],
        "footprints": [[list(k), fp] for k, fp in footprints.items()],
        "outdir": outdir, "prefix": prefix, "title_note": title_note,
    }
    proc = subprocess.run([python, os.path.abspath(__file__)], input=json.dumps(data),
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        return [], f"plotting failed, no plots:\n{proc.stderr.strip()}"
    return proc.stdout.split(), ""


def _main():
    data = json.load(sys.stdin)
    impls = [SimpleNamespace(key=k, label=label) for k, label in data["impls"]]
    medians = {tuple(k): {tuple(s) if isinstance(s, list) else s: v for s, v in vals}
               for k, vals in data["medians"]}
    footprints = {tuple(k): fp for k, fp in data["footprints"]}
    for path in plot(impls, medians, footprints, data["outdir"], data["prefix"],
                     data["title_note"]):
        print(path)


def plot(impls, medians, footprints, outdir, prefix="", title_note=""):
    """Writes the PNGs with matplotlib; returns their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(outdir, exist_ok=True)
    written = []

    def save(fig, name):
        path = os.path.join(outdir, prefix + name)
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        written.append(path)

    for prog, ylabel, title in (
            ("latency", "one-way latency (µs, log)", "Ping-pong latency, 2 ranks (lower is better)"),
            ("bandwidth", "bandwidth (MB/s)", "Streaming bandwidth, 2 ranks (higher is better)")):
        series = {i.key: medians.get((i.key, prog, 2), {}) for i in impls}
        sizes = sorted({s for pts in series.values() for s in pts})
        if not sizes:
            continue
        fig, ax = plt.subplots(figsize=(8, 4.5))
        _lines(ax, impls, series)
        _size_axis(ax, sizes)
        if prog == "latency":
            ax.set_yscale("log")
        ax.set_xlabel("message size")
        ax.set_ylabel(ylabel)
        ax.set_title(title + title_note)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend()
        save(fig, prog + ".png")

    cases = sorted({c for (key, prog, n), vals in medians.items() if prog == "coll" for c in vals},
                   key=_coll_order)
    if cases:
        cols = 3
        rows = (len(cases) + cols - 1) // cols
        fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
        for ax, case in zip([a for row in axes for a in row], cases):
            series = {}
            for (key, prog, n), vals in medians.items():
                if prog == "coll" and case in vals:
                    series.setdefault(key, {})[n] = vals[case]
            _lines(ax, impls, series, label_zero=False)
            counts = sorted({n for pts in series.values() for n in pts})
            ax.set_xscale("log", base=2)
            ax.set_xticks(counts)
            ax.set_xticklabels([str(n) for n in counts])
            ax.minorticks_off()
            ax.set_yscale("log")
            ax.set_title(f"{case[0]} {_size_label(case[1])}")
            ax.set_xlabel("ranks")
            ax.set_ylabel("µs per call (log)")
            ax.grid(True, alpha=0.3)
        for ax in [a for row in axes for a in row][len(cases):]:
            ax.set_visible(False)
        axes[0][0].legend(fontsize="small")
        fig.suptitle("Collectives on one host, 2 cores (lower is better)" + title_note)
        fig.tight_layout()
        save(fig, "collectives.png")

    if footprints:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        series = {}
        for (key, n), fp in footprints.items():
            if fp:
                series.setdefault(key, {})[n] = fp["allocated"] / 2**20
        if any(series.values()):
            _lines(ax, impls, series, label_zero=False)
            counts = sorted({n for pts in series.values() for n in pts})
            ax.set_xticks(counts)
            ax.set_xlabel("ranks")
            ax.set_ylabel("shared memory allocated (MiB)")
            ax.set_title("Shared-memory footprint of a job (lower is better)" + title_note)
            ax.grid(True, alpha=0.3)
            ax.legend()
            save(fig, "footprint.png")
        else:
            plt.close(fig)
    return written


COLL_NAMES = ("barrier", "bcast", "allreduce", "alltoall")


def _coll_order(key):
    name, size = key
    return (COLL_NAMES.index(name) if name in COLL_NAMES else len(COLL_NAMES), name, size)


if __name__ == "__main__":
    _main()
