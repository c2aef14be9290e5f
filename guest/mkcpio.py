#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""guest/mkcpio.py: write the SPARC guest's initramfs, a "newc" cpio archive.

usage: mkcpio.py OUT.cpio INIT

The archive holds /init (the file INIT), the directories /init mounts
things on, and /dev/console (character device 5:1, which the kernel opens
for init's stdin, stdout and stderr before devtmpfs is mounted). Written
directly, so no root is needed for the device node; owner root, times 0,
so that the same INIT gives the same archive.
"""
import os
import stat
import sys


def entry(out, ino, name, mode, data=b"", rdev=(0, 0), nlink=1):
    """One newc header, the name, the data, each padded to 4 bytes."""
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0,
              rdev[0], rdev[1], len(name_b), 0]
    hdr = b"070701" + b"".join(b"%08x" % f for f in fields)
    out.write(hdr + name_b)
    out.write(b"\0" * (-(len(hdr) + len(name_b)) % 4))
    out.write(data)
    out.write(b"\0" * (-len(data) % 4))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    path, init = sys.argv[1], sys.argv[2]
    with open(init, "rb") as f:
        init_data = f.read()
    tmp = path + ".tmp"
    with open(tmp, "wb") as out:
        ino = 1
        for d in ("dev", "proc", "sys", "cache"):
            entry(out, ino, d, stat.S_IFDIR | 0o755, nlink=2)
            ino += 1
        entry(out, ino, "dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
        ino += 1
        entry(out, ino, "init", stat.S_IFREG | 0o755, init_data)
        entry(out, 0, "TRAILER!!!", 0)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
