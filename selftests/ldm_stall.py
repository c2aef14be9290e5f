#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ldm_stall.py: hold many TCP connections to a serve that never authenticate.

    ldm_stall.py --to ADDR:PORT --from A1,A2,... [--count N] [--duration S]
                 [--rate R] [--limit S] [--modes M1,M2,...]

What an unauthenticated attacker can do to 'ldmctl serve': open --count
connections (default 300), round-robin over the source addresses --from,
each in one of four ways, in turn:

  silent     connect and send nothing
  header     send a TLS record header (\\x16\\x03\\x01\\x02\\x00) promising a
             512-byte ClientHello, then nothing
  halfclose  send that header, then shut down the sending side (FIN)
  drip       send the header, then one byte a second: never idle, never done

(--modes: only those, in turn), and for --duration seconds (default 30)
open a new one, the same way from the same address, for each one serve
closes, at most --rate a second overall (default 50; 0: never): a flood
that keeps the pressure on.

Each connection's lifetime runs from its connect to the moment serve
closed it (EOF or reset seen). At the end, one "key value" line each:

  opened      connections that were established (a reset while
              connecting counts: serve accepted and refused it)
  failed      connects that failed (refused, timed out)
  quick       closed by serve within 1 s (refused at once, or half-closed)
  held        closed by serve after 1 s or more (admitted, then dropped)
  longest     the longest lifetime of a connection serve closed, in s
  overstayed  connections that lived longer than --limit s (default 13),
              closed or still open at the end: serve did not drop them
  open        connections still open at the end

Exit 0, whatever serve did: the caller judges the figures.
"""
import argparse
import errno
import selectors
import socket
import sys
import time

HEADER = b"\x16\x03\x01\x02\x00"
MODES = ("silent", "header", "halfclose", "drip")


class Conn:
    def __init__(self, src, mode):
        self.src = src
        self.mode = mode
        self.sock = None
        self.t_start = 0.0      # connect started
        self.t_open = None      # connect done
        self.connected = False
        self.next_drip = 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--to", required=True)
    ap.add_argument("--from", dest="srcs", required=True)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--limit", type=float, default=13.0)
    ap.add_argument("--modes", default=",".join(MODES))
    a = ap.parse_args()
    modes = a.modes.split(",")
    for m in modes:
        if m not in MODES:
            ap.error("unknown mode %r (%s)" % (m, ", ".join(MODES)))
    host, port = a.to.rsplit(":", 1)
    dst = (host, int(port))
    srcs = a.srcs.split(",")

    sel = selectors.DefaultSelector()
    stats = dict(opened=0, failed=0, quick=0, held=0, overstayed=0)
    longest = 0.0
    pending = []    # (src, mode) to open again, rate permitting
    live = set()

    def start(src, mode):
        c = Conn(src, mode)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((src, 0))
            err = s.connect_ex(dst)
        except OSError as e:
            err = e.errno
        if err not in (0, errno.EINPROGRESS):
            stats["failed"] += 1
            s.close()
            pending.append((src, mode))
            return
        c.sock = s
        c.t_start = time.monotonic()
        sel.register(s, selectors.EVENT_WRITE, c)
        live.add(c)

    def closed(c, now):
        nonlocal longest
        sel.unregister(c.sock)
        c.sock.close()
        live.discard(c)
        life = now - c.t_open
        if life < 1.0:
            stats["quick"] += 1
        else:
            stats["held"] += 1
        if life > a.limit:
            stats["overstayed"] += 1
        longest = max(longest, life)
        pending.append((c.src, c.mode))

    def failed(c):
        sel.unregister(c.sock)
        c.sock.close()
        live.discard(c)
        stats["failed"] += 1
        pending.append((c.src, c.mode))

    t0 = time.monotonic()
    for i in range(a.count):
        start(srcs[i % len(srcs)], modes[(i // len(srcs)) % len(modes)])
    budget = 0.0
    last = time.monotonic()
    while True:
        now = time.monotonic()
        if now - t0 >= a.duration:
            break
        budget = min(a.rate, budget + (now - last) * a.rate)
        last = now
        while pending and budget >= 1.0:
            budget -= 1.0
            start(*pending.pop(0))
        for key, ev in sel.select(timeout=0.05):
            c = key.data
            now = time.monotonic()
            if not c.connected:
                e = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if e == errno.ECONNRESET:
                    # Accepted and reset before we looked: refused at once.
                    c.t_open = now
                    stats["opened"] += 1
                    closed(c, now)
                    continue
                if e:
                    failed(c)
                    continue
                c.connected = True
                c.t_open = now
                stats["opened"] += 1
                try:
                    if c.mode != "silent":
                        c.sock.send(HEADER)
                    if c.mode == "halfclose":
                        c.sock.shutdown(socket.SHUT_WR)
                except OSError:
                    closed(c, now)
                    continue
                c.next_drip = now + 1.0
                sel.modify(c.sock, selectors.EVENT_READ, c)
                continue
            try:
                data = c.sock.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                closed(c, now)
        # A connection that never completes its connect is a failure too.
        now = time.monotonic()
        for c in list(live):
            if not c.connected and now - c.t_start > 15.0:
                failed(c)
            elif c.connected and c.mode == "drip" and now >= c.next_drip:
                c.next_drip = now + 1.0
                try:
                    c.sock.send(b"\x01")
                except OSError:
                    closed(c, now)
    now = time.monotonic()
    still = 0
    for c in list(live):
        if c.connected:
            still += 1
            if now - c.t_open > a.limit:
                stats["overstayed"] += 1
        c.sock.close()
    for k in ("opened", "failed", "quick", "held"):
        print(k, stats[k])
    print("longest %.1f" % longest)
    print("overstayed", stats["overstayed"])
    print("open", still)
    return 0


if __name__ == "__main__":
    sys.exit(main())
