#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""lab/sparc-clock.py: the SPARC Linux guest's console reader and clock.

usage: lab/sparc-clock.py PIPE LOG   (PIPE.out: what the guest writes on its
                                      console, PIPE.in: what it reads; LOG:
                                      the console log)

Everything the guest writes on its console goes to LOG, but for ENQ bytes
(0x05): those are its pause meter's requests for the time (guest/meter.c).
For each read holding at least one, this answers one line on the guest's
console input, ACK (0x06) then "xxxxxx\\n": the host's CLOCK_REALTIME in ms
modulo 2^24, in hex. Started and stopped with QEMU by lab/sparc.sh
(sparc_start_linux, sparc_stop); runs until killed.
"""
import os
import sys
import time


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1].strip())
    # Opened read-write, as QEMU opens them: the opens never block and a
    # read never sees end-of-file.
    rd = os.open(sys.argv[1] + ".out", os.O_RDWR)
    wr = os.open(sys.argv[1] + ".in", os.O_RDWR)
    log = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    while True:
        data = os.read(rd, 4096)
        if b"\x05" in data:
            ms = time.clock_gettime_ns(time.CLOCK_REALTIME) // 1000000
            os.write(wr, b"\x06%06x\n" % (ms & 0xFFFFFF))
            data = data.replace(b"\x05", b"")
        if data:
            os.write(log, data)


if __name__ == "__main__":
    main()
