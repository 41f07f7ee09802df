#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""make bench's report: ours against pristine 6.12.

    report.py --out DIR --pristine RESULTS... --ours RESULTS...

RESULTS are the guest's results channel (one file per boot) with the
"dmabuf-bench|..." lines of tools/bench/dmabuf_bench.c and ubench.c.
Writes DIR/bench.txt (the table, printed last), DIR/bench.tsv (the data),
DIR/ratios.png and DIR/scaling.png (gnuplot), and prints the table.

Every figure is time per operation, so lower is better everywhere and
ours/6.12 < 1 means we are faster.  With more than one run per kernel the
median is used and the spread ((max-min)/median) shown.
"""
import argparse
import math
import os
import statistics
import subprocess
import sys

# The goals: case -> highest acceptable ours/6.12
GOALS = {
    "fence init+signal+put": 0.9,
    "fence 8 callbacks+signal": 0.9,
    "resv submit 1 context": 0.8,
    "resv iter unlocked 64": 0.8,
    "resv get_fences 64": 0.7,
    "unwrap merge 2x64": 0.5,
    "array 16 create+signal+put": 0.8,
    "chain find_seqno 1000": 0.8,
}
CEILING = 1.0


def parse(paths):
    """{(kind, name, n): [ns per op, one per run]}, [(kind, name, why)],
    {key: "wall"} and the keys in first-seen order."""
    runs, na, clock, order, fails = {}, {}, {}, [], []
    for path in paths:
        with open(path, errors="replace") as fh:
            for line in fh:
                f = line.rstrip("\n").split("|")
                if len(f) < 7 or f[0] != "dmabuf-bench":
                    continue
                kind, name = f[1], f[2]
                if kind == "na":
                    key = ("case", name, "")
                    if key not in na:
                        order.append(key)
                    na[key] = f[-1]
                    continue
                key = (kind, name, f[3])
                if key not in runs:
                    order.append(key)
                    runs[key] = []
                if not f[6].startswith("ok") or not f[5].isdigit():
                    fails.append("%s: %s %s" % (path, name, f[6]))
                    continue
                runs[key].append(int(f[5]) / max(int(f[4]), 1))
                if f[6].endswith("wall"):
                    clock[key] = "wall"
    return runs, na, clock, order, fails


def fmt_ns(v):
    if v is None:
        return "n/a"
    if v >= 1e6:
        return "%.2f ms" % (v / 1e6)
    if v >= 1e4:
        return "%.1f us" % (v / 1e3)
    return "%.0f ns" % v


def med(vals):
    return statistics.median(vals) if vals else None


def spread(vals):
    if len(vals) < 2:
        return None
    m = statistics.median(vals)
    return (max(vals) - min(vals)) / m if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--pristine", nargs="+", required=True)
    ap.add_argument("--ours", nargs="+", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    p_runs, p_na, p_clock, p_order, p_fail = parse(args.pristine)
    o_runs, o_na, o_clock, o_order, o_fail = parse(args.ours)
    order = list(dict.fromkeys(p_order + o_order))
    lines, tsv, ratios, series, refs = [], [], [], {}, []
    nruns = max(len(args.pristine), len(args.ours))
    w = max([len(k[1]) + (len(k[2]) + 3 if k[0] == "series" else 0) for k in order] + [20])
    head = "%-*s | %10s | %10s | %9s" % (w, "case (time per op)", "6.12", "ours", "ours/6.12")
    if nruns > 1:
        head += " | spread 6.12/ours"
    lines += [head, "-" * len(head)]
    for key in order:
        kind, name, n = key
        p, o = med(p_runs.get(key, [])), med(o_runs.get(key, []))
        if kind == "series":
            series.setdefault(name, []).append((int(n), p, o))
            continue
        ratio = o / p if p and o is not None else None
        label = name + (" [wall]" if key in p_clock or key in o_clock else "")
        if kind == "ref":
            refs.append("%-*s | %10s | %10s | %9s  (reference, not in the mean)" % (
                w, label, fmt_ns(p), fmt_ns(o), "%.3f" % ratio if ratio else "n/a"))
            continue
        if ratio is None:
            why = o_na.get(key) or p_na.get(key) or "no figure"
            row = "%-*s | %10s | %10s | %9s  (%s)" % (w, label, fmt_ns(p), fmt_ns(o), "n/a", why)
        else:
            ratios.append((name, ratio))
            mark = ""
            if name in GOALS:
                mark = "  goal <= %.2f: %s" % (GOALS[name], "met" if ratio <= GOALS[name] else "NOT met")
            elif round(ratio, 3) > CEILING:
                mark = "  above 1.0"
            row = "%-*s | %10s | %10s | %9.3f" % (w, label, fmt_ns(p), fmt_ns(o), ratio)
            if nruns > 1:
                sp, so = spread(p_runs[key]), spread(o_runs[key])
                row += " | %s/%s" % ("%.2f%%" % (100 * sp) if sp is not None else "-",
                                     "%.2f%%" % (100 * so) if so is not None else "-")
            row += mark
        lines.append(row)
        tsv.append("%s\t%s\t%s\t%s" % (name, p if p is not None else "", o if o is not None else "",
                                         ratio if ratio is not None else ""))
    lines += refs
    if ratios:
        gm = math.exp(sum(math.log(r) for _, r in ratios) / len(ratios))
        lines += ["-" * len(head), "%-*s | %10s | %10s | %9.3f" % (w, "geometric mean (%d cases)" % len(ratios),
                                                                    "", "", gm)]
    # the scaling series: per-op cost at each n, and how it grows
    slines = ["", "scaling series (time per op at n; growth = cost(4096)/cost(1))"]
    for name, pts in series.items():
        pts.sort()
        cells = []
        for n, p, o in pts:
            cells.append("n=%d %s/%s" % (n, fmt_ns(p), fmt_ns(o)))
        gp = pts[-1][1] / pts[0][1] if pts and pts[0][1] and pts[-1][1] else None
        go = pts[-1][2] / pts[0][2] if pts and pts[0][2] and pts[-1][2] else None
        flag = ""
        if gp and go and go > gp * 1.1:
            flag = "  GROWS FASTER on ours"
        slines.append("  %s: growth 6.12 %s, ours %s%s" % (
            name, "%.0fx" % gp if gp else "?", "%.0fx" % go if go else "?", flag))
        slines.append("    " + "; ".join(cells))
        last = [(n, o / p) for n, p, o in pts if p and o]
        if last:
            slines.append("    ours/6.12: " + " ".join("%d:%.2f" % x for x in last))
    missing = [k for k in p_runs if k not in o_runs] + [k for k in o_runs if k not in p_runs]
    notes = []
    if p_fail or o_fail:
        notes.append("FAILED cases (no figure): " + "; ".join(p_fail + o_fail))
    if missing:
        notes.append("cases on one kernel only: " + ", ".join("%s %s" % (k[1], k[2]) for k in missing))
    notes.append("figures: guest ns under qemu -icount shift=0 (1 ns = 1 instruction), median of %d run(s); "
                 "[wall] rows are wall-clock" % nruns)

    with open(os.path.join(args.out, "bench.tsv"), "w") as fh:
        fh.write("case\tpristine_ns\tours_ns\tratio\n" + "\n".join(tsv) + "\n")
    plot(args.out, ratios, series)
    text = "\n".join(slines + [""] + notes + ["", "plots: %s/ratios.png, %s/scaling.png" % (args.out, args.out),
                                              ""] + lines) + "\n"
    with open(os.path.join(args.out, "bench.txt"), "w") as fh:
        fh.write(text)
    sys.stdout.write(text)
    return 1 if p_fail or o_fail else 0


def plot(out, ratios, series):
    """ratios.png: ours/6.12 per case; scaling.png: per-op cost against n,
    log-log, one panel per series, both kernels."""
    with open(os.path.join(out, "ratios.dat"), "w") as fh:
        for i, (name, r) in enumerate(ratios):
            fh.write('%d "%s" %f\n' % (i, name, r))
    names = list(series)
    for i, name in enumerate(names):
        with open(os.path.join(out, "series%d.dat" % i), "w") as fh:
            for n, p, o in sorted(series[name]):
                fh.write("%d %s %s\n" % (n, p if p else "NaN", o if o else "NaN"))
    cols = 3
    rows = max(1, (len(names) + cols - 1) // cols)
    gp = [
        "set terminal pngcairo noenhanced size 1100,%d font ',9'" % (120 + 22 * len(ratios)),
        "set output '%s/ratios.png'" % out,
        "set title 'dma-buf rewrite against 6.12: time per op, ours/6.12 (lower is better)'",
        "set style fill solid 0.6",
        "set yrange [%d:-1]" % len(ratios),
        "set ytics nomirror",
        "set xrange [0:*]",
        "set grid x",
        "set arrow from 1,-1 to 1,%d nohead lc rgb 'red' dt 2" % len(ratios),
        "unset key",
        "plot '%s/ratios.dat' using ($3*0.5):1:($3*0.5):(0.35):ytic(2) with boxxyerror lc rgb '#4060c0'" % out,
        "unset arrow",
        "reset",
        "set terminal pngcairo noenhanced size 1200,%d font ',9'" % (330 * rows),
        "set output '%s/scaling.png'" % out,
        "set multiplot layout %d,%d title 'time per op against n (log-log)'" % (rows, cols),
        "set logscale xy",
        "set format y '%.0s%cs'",
        "set grid",
        "set key top left",
    ]
    for i, name in enumerate(names):
        gp += ["set title '%s'" % name,
               "plot '%s/series%d.dat' using 1:($2*1e-9) with linespoints title '6.12', "
               "'' using 1:($3*1e-9) with linespoints title 'ours'" % (out, i)]
    gp.append("unset multiplot")
    script = os.path.join(out, "plot.gp")
    with open(script, "w") as fh:
        fh.write("\n".join(gp) + "\n")
    try:
        r = subprocess.run(["gnuplot", script], capture_output=True, text=True)
        if r.returncode:
            sys.stderr.write("gnuplot failed:\n" + r.stderr)
    except OSError as e:
        sys.stderr.write("gnuplot not run: %s\n" % e)


if __name__ == "__main__":
    sys.exit(main())
