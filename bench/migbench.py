#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""migbench.py: the small helpers bench/migbench.sh needs that sh cannot do.

  migbench.py qmp SOCK CMD [ARGS] [CMD [ARGS]]...
                                           QMP commands on one connection
                                           (ARGS: a JSON object); prints each
                                           "return"
  migbench.py qmp-wait SOCK TIMEOUT [URI [SYNCS]]
                                           "migrate" to URI if given, then
                                           poll query-migrate until it ends;
                                           prints the last reply; with SYNCS,
                                           migrate-start-postcopy once that
                                           many dirty syncs went by
  migbench.py qmp-until SOCK STATUS TIMEOUT  poll query-status until STATUS
  migbench.py rusage FILE [STAMPS] -- CMD...
                                           run CMD, write its (and its
                                           children's) CPU seconds to FILE;
                                           with STAMPS, also each line CMD
                                           prints, after the time it came
  migbench.py cpu-sample FILE              a CPU snapshot of the whole VM
  migbench.py cpu-delta A B SRC DST        CPU seconds between two snapshots:
                                           "src dst kern vm" (see below)
  migbench.py json FILE KEY...             fields of a JSON object (dotted
                                           paths), one per line, NA if absent
  migbench.py events SOCK FILE             log QEMU's QMP events from its
                                           second monitor SOCK to FILE, one
                                           "NAME SECONDS" line each (QEMU's
                                           own timestamp), until QEMU goes
  migbench.py phases ldm|qemu FILE         a migration's phases in ms,
                                           "setup,round0,later,final,
                                           devstate,commit", from ldmctl's
                                           stamped -j events or QEMU's last
                                           query-migrate reply (qmp-wait's
                                           output; x-round0-ms is when the
                                           second dirty sync was seen)
  migbench.py gap SRC DST                  the guest's pause in ms, from two
                                           such logs: the target's first
                                           RESUME less the source's last
                                           STOP before it
  migbench.py throttle ldm|qemu FILE       how the tool held the guest back:
                                           "dirty_limit,throttled,throttle_ms,
                                           tool_dirty_pps,fc_ms,fc_fits,
                                           throttle_pct" (blank: not this
                                           tool's): ldm's done event (the
                                           limit at the end, write faults
                                           made to wait, their wait), the
                                           pages its module saw dirtied a
                                           second in round 0, and the last
                                           forecast (final round's ms, fits
                                           0/1); QEMU's dirty-pages-rate in
                                           its last reply while active, and
                                           the highest
                                           cpu-throttle-percentage seen
                                           (auto-converge)
  migbench.py ramdiff A B                  the 4 KiB pages that differ between
                                           two RAM files (a source and a
                                           target QEMU's memory-backend-file):
                                           how many, and the first ones
  migbench.py qemu-dirty-limit SOCK        what this QEMU answers about its
                                           dirty limit: the schema's
                                           set-vcpu-dirty-limit, the
                                           migration capability and parameter
                                           of later QEMUs, the command's
                                           answer, the accelerator

CPU accounting (cpu-delta). SRC and DST are comma-separated lists of
pid[:tree|:qemu][@SNAPSHOT] (@: count from that snapshot instead of A, for
a process started after A):
  pid:qemu  a QEMU process: all its threads except vCPU threads (named
            ".../TCG" or ".../KVM" with -name ...,debug-threads=on), so that
            what the guest itself executes is not counted as migration cost
  pid:tree  the process, its descendants (alive or zombie), and the
            children it reaped (cutime+cstime)
  pid       the process alone
kern is the kernel's own threads (kworker*, ksoftirqd*: ldm's workqueue
runs on kworkers) plus interrupt and softirq time from /proc/stat; vm is
the whole VM's busy time from /proc/stat, guest vCPUs included.
Every reply or error goes to stderr with what failed; exit 1.
"""
import json
import os
import socket
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def die(msg):
    sys.exit("migbench.py: " + msg)


class QMP:
    def __init__(self, path, timeout=30):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(timeout)
        try:
            self.s.connect(path)
        except OSError as e:
            die("QMP %s: %s" % (path, e))
        self.f = self.s.makefile("rw")
        self.f.readline()  # greeting
        self.call("qmp_capabilities")

    def call(self, cmd, args=None):
        reply = self.call_raw(cmd, args)
        if "error" in reply:
            die("QMP '%s': %s" % (cmd, reply["error"].get("desc")))
        return reply["return"]

    def call_raw(self, cmd, args=None):
        """The whole reply: {"return": ...} or {"error": ...}."""
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg) + "\n")
        self.f.flush()
        while True:  # skip asynchronous events
            line = self.f.readline()
            if not line:
                die("QMP: QEMU closed the socket during '%s'" % cmd)
            reply = json.loads(line)
            if "error" in reply or "return" in reply:
                return reply


def qmp(sock, words):
    q = QMP(sock)
    while words:
        cmd, words = words[0], words[1:]
        args = None
        if words and words[0].startswith("{"):
            args, words = json.loads(words[0]), words[1:]
        print(json.dumps(q.call(cmd, args)))


def qmp_wait(sock, timeout, uri=None, postcopy_syncs=None):
    q = QMP(sock)
    end = time.time() + float(timeout)
    if uri:
        q.call("migrate", {"uri": uri})
    switched = postcopy_syncs is None
    t0, round0, pct, rate = time.time(), None, None, None
    while True:
        r = q.call("query-migrate")
        st = r.get("status")
        # round 0 (the first pass over RAM) ends at the second dirty sync
        if round0 is None and r.get("ram", {}).get("dirty-sync-count", 0) >= 2:
            round0 = (time.time() - t0) * 1000
        r["x-round0-ms"] = round0
        # auto-converge's throttle, shown only while it is active
        if "cpu-throttle-percentage" in r:
            pct = max(pct or 0, r["cpu-throttle-percentage"])
        r["x-throttle-pct-max"] = pct
        # its dirty rate, shown only until the migration completes
        if st == "active":
            rate = r.get("ram", {}).get("dirty-pages-rate", rate)
        r["x-dirty-pages-rate"] = rate
        if not switched and st == "active" and \
                r.get("ram", {}).get("dirty-sync-count", 0) >= int(postcopy_syncs):
            q.call("migrate-start-postcopy")
            switched = True
        if st in ("completed", "failed", "cancelled"):
            print(json.dumps(r))
            if st != "completed":
                die("QEMU migration %s: %s" % (st, r.get("error-desc", "")))
            return
        if time.time() > end:
            try:
                q.call("migrate_cancel")
            except SystemExit:
                pass
            print(json.dumps(r))
            ram = r.get("ram", {})
            die("QEMU migration still '%s' after %s s (%s dirty syncs, "
                "%.0f MB sent, %s pages/s dirtied); cancelled" %
                (st, timeout, ram.get("dirty-sync-count"),
                 ram.get("transferred", 0) / 1e6,
                 ram.get("dirty-pages-rate")))
        time.sleep(0.1)


def qmp_until(sock, want, timeout):
    q = QMP(sock)
    end = time.time() + float(timeout)
    while True:
        st = q.call("query-status").get("status")
        if st == want:
            return
        if time.time() > end:
            die("QEMU is '%s', not '%s', after %s s" % (st, want, timeout))
        time.sleep(0.1)


def rusage(out, stamps, argv):
    t0 = time.time()
    try:
        p = subprocess.Popen(argv, stdout=subprocess.PIPE if stamps else None)
    except OSError as e:
        die("cannot run %s: %s" % (argv[0], e))
    if stamps:
        with open(stamps, "w") as f:
            f.write("%.3f START\n" % t0)
            for line in p.stdout:
                t = time.time()
                sys.stdout.buffer.write(line)
                sys.stdout.flush()
                f.write("%.3f %s" % (t, line.decode(errors="replace")))
    _, status, ru = os.wait4(p.pid, 0)
    with open(out, "w") as f:
        f.write("%.3f\n" % (ru.ru_utime + ru.ru_stime))
    sys.exit(os.waitstatus_to_exitcode(status) & 0xff)


def read_stat(path):
    with open(path) as f:
        s = f.read()
    comm = s[s.index("(") + 1:s.rindex(")")]
    rest = s[s.rindex(")") + 2:].split()
    # rest[0] is field 3 (state): ppid 4, utime 14, stime 15, cutime 16...
    return comm, int(rest[1]), [int(x) for x in rest[11:15]]


def cpu_sample(out):
    snap = {"stat": None, "procs": {}, "threads": {}}
    with open("/proc/stat") as f:
        snap["stat"] = [int(x) for x in f.readline().split()[1:]]
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            comm, ppid, t = read_stat("/proc/%s/stat" % pid)
            snap["procs"][pid] = [comm, ppid, t]
            for tid in os.listdir("/proc/%s/task" % pid):
                tcomm, _, tt = read_stat("/proc/%s/task/%s/stat" % (pid, tid))
                snap["threads"][tid] = [pid, tcomm, tt[0] + tt[1]]
        except (OSError, ValueError):
            continue  # gone meanwhile
    with open(out, "w") as f:
        json.dump(snap, f)


def group_ticks(snap, spec):
    pid, _, kind = spec.partition(":")
    procs, threads = snap["procs"], snap["threads"]
    if pid not in procs:
        return 0
    t = procs[pid][2]
    if kind == "qemu":  # threads that ended count in the process's times
        return t[0] + t[1] - sum(
            th[2] for th in threads.values() if th[0] == pid and
            th[1].endswith(("/TCG", "/KVM")))
    if kind != "tree":
        return t[0] + t[1]
    total = sum(t)
    members = {pid}
    grew = True
    while grew:  # descendants, by parent pid
        grew = False
        for p, (_, ppid, pt) in procs.items():
            if p not in members and str(ppid) in members:
                members.add(p)
                total += pt[0] + pt[1]
                grew = True
    return total


def cpu_delta(a, b, src, dst):
    with open(a) as f:
        A = json.load(f)
    with open(b) as f:
        B = json.load(f)

    def side(specs):
        total = 0
        for s in specs.split(","):
            s, _, since = s.partition("@")
            if since:  # a snapshot, or a plain tick count
                with open(since) as f:
                    text = f.read()
                total -= int(text) if text.strip().isdigit() else \
                    group_ticks(json.loads(text), s)
            elif s:
                total -= group_ticks(A, s)
            if s:
                total += group_ticks(B, s)
        return total

    def kthreads(snap):
        return sum(t[2] for tid, t in snap["threads"].items()
                   if t[1].startswith(("kworker", "ksoftirqd")))

    sa, sb = A["stat"], B["stat"]
    # user nice system idle iowait irq softirq steal ...
    irq = (sb[5] + sb[6]) - (sa[5] + sa[6])
    busy = sum(sb[i] - sa[i] for i in (0, 1, 2, 5, 6))
    kern = kthreads(B) - kthreads(A) + irq
    print("%.2f %.2f %.2f %.2f" % (side(src) / HZ, side(dst) / HZ,
                                   kern / HZ, busy / HZ))


def json_get(path, keys):
    with open(path) as f:
        obj = json.load(f)
    for k in keys:
        v = obj
        for part in k.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        print("NA" if v is None else v)


def events(sock, out):
    # Connect as soon as the socket is there; QEMU may still be starting.
    end = time.time() + 30
    while True:
        try:
            q = QMP(sock)
            break
        except SystemExit:
            if time.time() > end:
                raise
            time.sleep(0.1)
    q.s.settimeout(None)
    with open(out, "a") as f:
        for line in q.f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if "event" not in ev:
                continue
            ts = ev.get("timestamp", {})
            f.write("%s %d.%06d\n" % (ev["event"], ts.get("seconds", 0),
                                      ts.get("microseconds", 0)))
            f.flush()


def read_events(path):
    try:
        with open(path) as f:
            return [(w[0], float(w[1])) for w in
                    (line.split() for line in f) if len(w) == 2]
    except OSError:
        return []


def phases(kind, path):
    """setup,round0,later,final,devstate,commit in ms (blank: unknown)."""
    ph = {}
    if kind == "ldm":
        start, ev = read_stamped(path)
        rounds = [(t, e) for t, e in ev if e.get("event") == "round"]
        done = [(t, e) for t, e in ev if e.get("event") == "round_done"]
        susp = [t for t, e in ev if e.get("event") == "suspended"]
        dev = [t for t, e in ev if e.get("event") == "devstate"]
        fin = [t for t, e in ev if e.get("event") == "done"]
        if start is not None and rounds:
            ph["setup"] = rounds[0][0] - start
        if rounds and done:
            ph["round0"] = done[0][0] - rounds[0][0]
        if done and susp:
            ph["later"] = max(susp[0] - done[0][0], 0)
            ph["final"] = done[-1][0] - susp[0]
        if dev and done:
            ph["devstate"] = dev[0] - done[-1][0]
        if fin:
            ph["commit"] = fin[-1] - (dev[0] if dev else done[-1][0])
        ph = dict((k, v * 1000) for k, v in ph.items())
    else:
        with open(path) as f:
            r = json.loads(f.read().strip().splitlines()[-1])
        setup, total = r.get("setup-time"), r.get("total-time")
        down, r0 = r.get("downtime"), r.get("x-round0-ms")
        ph["setup"] = setup
        ph["round0"] = r0
        if None not in (total, setup, down, r0):
            ph["later"] = max(total - setup - r0 - down, 0)
        ph["final"] = down
    print(",".join("" if ph.get(k) is None else "%.0f" % ph[k] for k in
                   ("setup", "round0", "later", "final", "devstate", "commit")))


def read_stamped(path):
    """ldmctl migrate -j's events as (seconds, event) and the START time."""
    start, ev = None, []
    with open(path) as f:
        for line in f:
            t, _, rest = line.partition(" ")
            if rest.strip() == "START":
                start = float(t)
                continue
            try:
                ev.append((float(t), json.loads(rest)))
            except ValueError:
                continue
    return start, ev


def throttle(kind, path):
    """dirty_limit,throttled,throttle_ms,tool_dirty_pps,fc_ms,fc_fits,
    throttle_pct (blank: unknown or not this tool's)."""
    v = {}
    if kind == "ldm":
        _, ev = read_stamped(path)
        ev = [e for _, e in ev]
        done = [e for e in ev if e.get("event") == "done"]
        if done:
            for k in ("dirty_limit", "throttled", "throttle_ms"):
                v[k] = done[-1].get(k)
        rd = [e for e in ev if e.get("event") == "round_done"]
        if rd and rd[0].get("ms"):
            v["tool_dirty_pps"] = rd[0].get("dirty", 0) * 1000.0 / rd[0]["ms"]
        fc = [e for e in ev if e.get("event") == "forecast"]
        if fc:
            v["fc_ms"] = fc[-1].get("downtime_ms")
            v["fc_fits"] = fc[-1].get("fits")
    else:
        with open(path) as f:
            r = json.loads(f.read().strip().splitlines()[-1])
        v["tool_dirty_pps"] = r.get("x-dirty-pages-rate")
        v["throttle_pct"] = r.get("x-throttle-pct-max")
    print(",".join("" if v.get(k) is None else "%.0f" % v[k] for k in
                   ("dirty_limit", "throttled", "throttle_ms",
                    "tool_dirty_pps", "fc_ms", "fc_fits", "throttle_pct")))


def qemu_dirty_limit(sock):
    """QEMU's dirty limit, as far as QMP tells: the evidence, one line each."""
    q = QMP(sock)
    schema = dict((e["name"], e) for e in q.call("query-qmp-schema"))

    def members(name):
        t = schema.get(name, {})
        return [m["name"] for m in t.get("members", [])] + t.get("values", [])

    def say(what, v):
        print("%s: %s" % (what, json.dumps(v)))
    say("version", q.call("query-version").get("qemu"))
    say("accelerators built in", sorted(t["name"] for t in q.call(
        "qom-list-types", {"implements": "accel", "abstract": False})))
    say("KVM (query-kvm)", q.call("query-kvm"))
    for c in ("set-vcpu-dirty-limit", "query-vcpu-dirty-limit",
              "cancel-vcpu-dirty-limit"):
        e = schema.get(c)
        say("schema " + c, None if e is None else
            {"arguments": members(e["arg-type"])})
    caps = [c["capability"] for c in q.call("query-migrate-capabilities")]
    say("migration capability dirty-limit", "dirty-limit" in caps)
    say("migration parameter vcpu-dirty-limit",
        "vcpu-dirty-limit" in q.call("query-migrate-parameters"))
    say("set-vcpu-dirty-limit dirty-rate=1",
        q.call_raw("set-vcpu-dirty-limit", {"dirty-rate": 1}))
    say("query-vcpu-dirty-limit", q.call_raw("query-vcpu-dirty-limit"))
    say("cancel-vcpu-dirty-limit", q.call_raw("cancel-vcpu-dirty-limit"))


def ramdiff(a, b, page=4096, shown=16, words=4):
    bad, detail, n = [], [], 0
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            pa, pb = fa.read(page), fb.read(page)
            if not pa and not pb:
                break
            if pa != pb:
                bad.append(n)
                if len(detail) < shown:
                    # the 32-bit words that differ: offset source>target
                    w = [i for i in range(0, min(len(pa), len(pb)), 4)
                         if pa[i:i + 4] != pb[i:i + 4]]
                    detail.append("%#x: %d words%s" % (n * page, len(w), "".join(
                        " +%#x %s>%s" % (i, pa[i:i + 4].hex(), pb[i:i + 4].hex())
                        for i in w[:words])))
            n += 1
    print("%d of %d pages differ%s" % (
        len(bad), n, (": " + "; ".join(detail) +
                      (" ..." if len(bad) > shown else "")) if bad else ""))


def gap(src, dst):
    resume = [t for e, t in read_events(dst) if e == "RESUME"]
    if not resume:
        die("no RESUME event in %s" % dst)
    stops = [t for e, t in read_events(src) if e == "STOP" and t <= resume[0]]
    if not stops:
        die("no STOP event in %s before the target's RESUME" % src)
    print("%.0f" % ((resume[0] - stops[-1]) * 1000))


def main(argv):
    if len(argv) < 2:
        die("usage: see the header of bench/migbench.py")
    cmd, args = argv[1], argv[2:]
    if cmd == "qmp" and len(args) >= 2:
        qmp(args[0], args[1:])
    elif cmd == "qmp-wait" and len(args) in (2, 3, 4):
        qmp_wait(*args)
    elif cmd == "qmp-until" and len(args) == 3:
        qmp_until(*args)
    elif cmd == "rusage" and len(args) >= 3 and args[1] == "--":
        rusage(args[0], None, args[2:])
    elif cmd == "rusage" and len(args) >= 4 and args[2] == "--":
        rusage(args[0], args[1], args[3:])
    elif cmd == "cpu-sample" and len(args) == 1:
        cpu_sample(args[0])
    elif cmd == "cpu-delta" and len(args) == 4:
        cpu_delta(*args)
    elif cmd == "events" and len(args) == 2:
        events(*args)
    elif cmd == "phases" and len(args) == 2 and args[0] in ("ldm", "qemu"):
        phases(*args)
    elif cmd == "throttle" and len(args) == 2 and args[0] in ("ldm", "qemu"):
        throttle(*args)
    elif cmd == "qemu-dirty-limit" and len(args) == 1:
        qemu_dirty_limit(*args)
    elif cmd == "ramdiff" and len(args) == 2:
        ramdiff(*args)
    elif cmd == "gap" and len(args) == 2:
        gap(*args)
    elif cmd == "json" and len(args) >= 2:
        json_get(args[0], args[1:])
    else:
        die("bad arguments for '%s'" % cmd)


if __name__ == "__main__":
    main(sys.argv)
