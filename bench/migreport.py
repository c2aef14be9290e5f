#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""migreport.py: the table and plot of a bench/migbench.sh run (host side).

  bench/migreport.py DIR        DIR/results.csv -> DIR/table.txt (printed),
                                DIR/summary.csv, DIR/plot.png

results.csv has one line per migration. Per method and dirty rate this
takes the median of the successful migrations (total-wait and down-wait:
total time and downtime less tgt_wait_ms, the part of ldm's downtime
spent waiting for the target QEMU it starts during the migration to come
up) (a method or rate with none
is shown as "failed", with the reason), then the ratio ldm / other for
every other method, per metric, measured in the same run. plot.png (with
gnuplot, if installed) shows total time, the pause (gap_ms) and the
guest's own pause per method per rate.
"pause ms" (gap_ms) is the same meter for every method: how long the
guest did not run, from its source QEMU's STOP event to its target QEMU's
RESUME event (QEMU's own timestamps, one clock). "guest pause"
(guest_gap_ms, the Linux guest only) is the longest pause the guest itself
lived through, by its heartbeat against the host's clock. Total time and
both pauses are shown with their spread (min-max) over the legs; "CPU
s/GiB" is the CPU seconds per GiB of guest RAM.
When the run has the columns (bench/migbench.sh since the ldm-dl method),
a third table says how each tool held the guest back, medians (min-max):
the guest's own write rate, the tool's dirty rate, ldm's dirty limit at
the end, the write faults it made wait and their wait, QEMU
auto-converge's highest CPU throttle, the last forecast of ldm's final
round and how many legs it fitted the downtime limit, and the rounds.
"""
import csv
import os
import shutil
import statistics
import subprocess
import sys

# The reference: ldm into a target prepared before the migration, as
# QEMU's targets are, when the run has it.
REF = "ldm"
# (column, heading, format); cpu_s is the sum of the three CPU columns.
METRICS = [
    ("dirty_pps", "dirty pg/s", "%.0f"),
    ("total_ms", "total ms", "%.0f"),
    ("downtime_ms", "down ms", "%.0f"),
    ("tgt_wait_ms", "tgt wait ms", "%.0f"),
    ("total_net_ms", "total-wait", "%.0f"),
    ("down_net_ms", "down-wait", "%.0f"),
    ("gap_ms", "pause ms", "%.0f"),
    ("guest_gap_ms", "guest pause", "%.0f"),
    ("rounds", "rounds", "%.0f"),
    ("veth_mb", "wire MB", "%.1f"),
    ("ram_mbps", "RAM MB/s", "%.1f"),
    ("src_cpu_s", "src CPU s", "%.2f"),
    ("dst_cpu_s", "dst CPU s", "%.2f"),
    ("kern_cpu_s", "kern CPU s", "%.2f"),
    ("cpu_s", "CPU s", "%.2f"),
    ("cpu_s_gib", "CPU s/GiB", "%.2f"),
    ("setup_ms", "setup", "%.0f"),
    ("round0_ms", "round0", "%.0f"),
    ("later_ms", "later", "%.0f"),
    ("final_ms", "final", "%.0f"),
    ("devstate_ms", "devstate", "%.0f"),
    ("commit_ms", "commit", "%.0f"),
]
# Shown with their spread (min-max of the successful legs).
SPREAD = ("total_ms", "gap_ms", "guest_gap_ms")
# Ratios ldm/other worth reading: lower is better except MB/s.
RATIOS = ["total_ms", "downtime_ms", "total_net_ms", "down_net_ms", "gap_ms",
          "guest_gap_ms", "veth_mb", "ram_mbps", "cpu_s"]
DERIVED = ("veth_mb", "cpu_s", "cpu_s_gib", "total_net_ms", "down_net_ms")


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        v = num(r.get("veth_bytes"))
        r["veth_mb"] = v / 1e6 if v is not None else None
        cpu = [num(r.get(k)) for k in ("src_cpu_s", "dst_cpu_s", "kern_cpu_s")]
        r["cpu_s"] = sum(cpu) if None not in cpu else None
        mib = num(r.get("ram_mib"))
        r["cpu_s_gib"] = r["cpu_s"] * 1024 / mib \
            if r["cpu_s"] is not None and mib else None
        # ldm starts the target QEMU during the migration; the part of
        # the downtime spent waiting for it to come up, taken out.
        wait = num(r.get("tgt_wait_ms")) or 0
        for k, net in (("total_ms", "total_net_ms"),
                       ("downtime_ms", "down_net_ms")):
            v = num(r.get(k))
            r[net] = v - wait if v is not None else None
    return rows


def order(seq):
    seen = []
    for x in seq:
        if x not in seen:
            seen.append(x)
    return seen


def summarize(rows):
    """{(method, rate): {"n": ok, "of": all, "why": reason, metric: median}}"""
    out = {}
    for r in rows:
        s = out.setdefault((r["method"], r["rate"]), {"n": 0, "of": 0,
                                                      "why": "", "vals": {}})
        s["of"] += 1
        if r["status"] != "ok":
            s["why"] = s["why"] or r["status"]
            continue
        s["n"] += 1
        if r.get("ended"):
            s.setdefault("ended", {}).setdefault(r["ended"], 0)
            s["ended"][r["ended"]] += 1
        for k, _, _ in METRICS:
            v = num(r.get(k)) if k not in DERIVED else r[k]
            if v is not None:
                s["vals"].setdefault(k, []).append(v)
    for s in out.values():
        s["ended"] = ", ".join("%s %d" % kv for kv in
                               sorted(s.get("ended", {}).items()))
        for k, vs in s.pop("vals").items():
            s[k] = statistics.median(vs)
            if k in SPREAD:
                s[k + "_spread"] = (min(vs), max(vs))
    return out


def fmt(v, f):
    return "-" if v is None else f % v


def table(summ, methods, rates):
    lines = []
    head = ["rate", "method", "ok"] + [h for _, h, _ in METRICS]
    body = []
    for rate in rates:
        for m in methods:
            s = summ.get((m, rate))
            if not s:
                continue
            cells = [rate, m, "%d/%d" % (s["n"], s["of"])]
            if s["n"] == 0:
                cells += [s["why"]] + [""] * (len(METRICS) - 1)
            else:
                cells += [fmt(s.get(k), f) + (
                    " (%s-%s)" % (f % s[k + "_spread"][0],
                                  f % s[k + "_spread"][1])
                    if k + "_spread" in s and s["n"] > 1 else "")
                    for k, _, f in METRICS]
            body.append(cells)
    widths = [max(len(str(c[i])) for c in [head] + body
                  if not (i == 3 and c[3].startswith("failed")))
              for i in range(len(head))]

    def line(c):
        if len(c) > 3 and c[3].startswith("failed"):
            return "  ".join(str(x).ljust(w) for x, w in
                             zip(c[:3], widths[:3])) + "  " + c[3]
        return "  ".join(str(x).rjust(w) if i > 2 else str(x).ljust(w)
                         for i, (x, w) in enumerate(zip(c, widths))).rstrip()
    lines.append(line(head))
    lines += [line(c) for c in body]

    lines.append("")
    lines.append("ratios %s / other, medians of the same run "
                 "(< 1: ldm lower; for RAM MB/s > 1: ldm faster)" % REF)
    rhead = ["rate", "other"] + [dict((k, h) for k, h, _ in METRICS)[k]
                                 for k in RATIOS]
    rbody = []
    for rate in rates:
        ref = summ.get((REF, rate))
        for m in methods:
            if m == REF or (m, rate) not in summ:
                continue
            o = summ[(m, rate)]
            cells = [rate, m]
            for k in RATIOS:
                a = ref.get(k) if ref and ref["n"] else None
                b = o.get(k) if o["n"] else None
                cells.append("%.2fx" % (a / b) if a is not None and b else
                             "failed" if (not ref or not ref["n"] or
                                          not o["n"]) else "-")
            rbody.append(cells)
    rw = [max(len(c[i]) for c in [rhead] + rbody) for i in range(len(rhead))]
    for c in [rhead] + rbody:
        lines.append("  ".join(x.rjust(w) if i > 1 else x.ljust(w)
                               for i, (x, w) in enumerate(zip(c, rw))))
    return "\n".join(lines) + "\n"


# The third table: (column, heading, format; None: legs where it is 1).
HELD = [
    ("dirty_pps", "guest pg/s", "%.0f"),
    ("tool_dirty_pps", "tool pg/s", "%.0f"),
    ("dirty_limit", "limit pg/s", "%.0f"),
    ("throttled", "throttled", "%.0f"),
    ("throttle_ms", "throttle ms", "%.0f"),
    ("throttle_pct", "cpu thr %", "%.0f"),
    ("fc_ms", "forecast ms", "%.0f"),
    ("fc_fits", "fits", None),
    ("rounds", "rounds", "%.0f"),
]


def held_table(rows, methods, rates):
    """How each tool held the guest back; "" if the run has no such columns."""
    if not rows or "dirty_limit" not in rows[0]:
        return ""
    head = ["rate", "method", "ok"] + [h for _, h, _ in HELD]
    body = []
    for rate in rates:
        for m in methods:
            ok = [r for r in rows if r["method"] == m and r["rate"] == rate
                  and r["status"] == "ok"]
            if not ok:
                continue
            cells = [rate, m, "%d" % len(ok)]
            for k, _, f in HELD:
                vs = [num(r.get(k)) for r in ok]
                vs = [v for v in vs if v is not None]
                if not vs:
                    cells.append("-")
                elif f is None:
                    cells.append("%d/%d" % (sum(1 for v in vs if v), len(vs)))
                else:
                    c = f % statistics.median(vs)
                    if len(vs) > 1 and min(vs) != max(vs):
                        c += " (%s-%s)" % (f % min(vs), f % max(vs))
                    cells.append(c)
            body.append(cells)
    if not body:
        return ""
    w = [max(len(c[i]) for c in [head] + body) for i in range(len(head))]
    out = ["", "how the tools held the guest back, medians (min-max) of the "
           "successful legs"]
    for c in [head] + body:
        out.append("  ".join(x.rjust(wi) if i > 1 else x.ljust(wi)
                             for i, (x, wi) in enumerate(zip(c, w))).rstrip())
    return "\n".join(out) + "\n"


def write_summary(path, summ, methods, rates):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["method", "rate", "ok", "of", "status", "ended"] +
                   [k for k, _, _ in METRICS] +
                   ["%s_over_this_%s" % (REF, k) for k in RATIOS])
        for rate in rates:
            ref = summ.get((REF, rate)) or {"n": 0}
            for m in methods:
                s = summ.get((m, rate))
                if not s:
                    continue
                ratios = []
                for k in RATIOS:
                    a, b = ref.get(k), s.get(k)
                    ratios.append("%.3f" % (a / b) if ref["n"] and s["n"] and
                                  a is not None and b else "")
                w.writerow([m, rate, s["n"], s["of"],
                            "ok" if s["n"] else "failed: " + s["why"],
                            s.get("ended", "")] +
                           [fmt(s.get(k), f) if s["n"] else ""
                            for k, _, f in METRICS] + ratios)


def plot(d, summ, methods, rates):
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not found (Debian package gnuplot-nox): no plot"
    dat = os.path.join(d, "plot.dat")
    with open(dat, "w") as f:
        for key in ("total_ms", "gap_ms", "guest_gap_ms"):
            f.write("rate " + " ".join(methods) + "\n")
            for rate in rates:
                vals = []
                for m in methods:
                    s = summ.get((m, rate))
                    v = s.get(key) if s and s["n"] else None
                    vals.append("?" if v is None else "%.1f" % v)
                f.write("%s %s\n" % (rate, " ".join(vals)))
            f.write("\n\n")
    png = os.path.join(d, "plot.png")
    cols = " ".join(str(i + 2) for i in range(len(methods)))
    script = """
set terminal pngcairo size 1800,500 font ",10" noenhanced
set output '{png}'
set datafile missing '?'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside bottom center horizontal
set grid ytics
set logscale y
set yrange [1:*]
set multiplot layout 1,3 title 'Live migration of a SPARC guest by dirty rate: medians, log scale; no bar = failed ({d})'
set title 'total time (ms)'
plot for [c in '{cols}'] '{dat}' index 0 using int(c):xtic(1) title columnheader(int(c))
set title 'pause: source STOP to target RESUME (ms, QMP events)'
plot for [c in '{cols}'] '{dat}' index 1 using int(c):xtic(1) title columnheader(int(c))
set title "the guest's own longest pause (ms; Linux guest)"
plot for [c in '{cols}'] '{dat}' index 2 using int(c):xtic(1) title columnheader(int(c))
unset multiplot
""".format(png=png, dat=dat, cols=cols, d=os.path.basename(os.path.realpath(d)))
    with open(os.path.join(d, "plot.gp"), "w") as f:
        f.write(script)
    r = subprocess.run([gp, os.path.join(d, "plot.gp")],
                       capture_output=True, text=True)
    if r.returncode or not os.path.exists(png):
        return "gnuplot failed: " + r.stderr.strip()
    return None


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench/migreport.py DIR (with DIR/results.csv)")
    d = sys.argv[1]
    path = os.path.join(d, "results.csv")
    try:
        rows = load(path)
    except OSError as e:
        sys.exit("migreport: cannot read %s: %s" % (path, e))
    if not rows:
        sys.exit("migreport: %s has no migrations" % path)
    global REF
    methods = order(r["method"] for r in rows)
    rates = order(r["rate"] for r in rows)
    if "ldm-prepared" in methods:
        REF = "ldm-prepared"
    summ = summarize(rows)
    text = table(summ, methods, rates) + held_table(rows, methods, rates)
    with open(os.path.join(d, "table.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    write_summary(os.path.join(d, "summary.csv"), summ, methods, rates)
    why = plot(d, summ, methods, rates)
    if why:
        print("migreport: " + why, file=sys.stderr)
    else:
        print("plot: " + os.path.join(d, "plot.png"))
    failed = sum(1 for r in rows if r["status"] != "ok")
    if failed:
        print("migreport: %d of %d migrations failed (see results.csv)" %
              (failed, len(rows)), file=sys.stderr)
    return 1 if failed == len(rows) else 0


if __name__ == "__main__":
    sys.exit(main())
