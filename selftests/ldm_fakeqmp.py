#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ldm_fakeqmp.py: a QMP socket that answers like a running QEMU, no QEMU.

    ldm_fakeqmp.py SOCKET

For tests of 'ldmctl migrate --qmp' up to the wait for the target QEMU
(QEMU_READY), before anything is stopped: the greeting, then {"return": {}}
to every command, except query-status: running. One client at a time;
each command is logged on stdout. Runs until killed.
"""
import json
import os
import socket
import sys


def serve(conn):
    conn.sendall(b'{"QMP": {"version": {"qemu": {"micro": 0, "minor": 0, '
                 b'"major": 8}, "package": ""}, "capabilities": []}}\r\n')
    buf = b""
    while True:
        data = conn.recv(4096)
        if not data:
            return
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line.strip():
                continue
            msg = json.loads(line)
            cmd = msg.get("execute")
            print(cmd, flush=True)
            ret = {}
            if cmd == "query-status":
                ret = {"status": "running", "running": True,
                       "singlestep": False}
            reply = {"return": ret}
            if "id" in msg:
                reply["id"] = msg["id"]
            conn.sendall(json.dumps(reply).encode() + b"\r\n")


def main():
    path = sys.argv[1]
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(4)
    while True:
        conn, _ = s.accept()
        try:
            serve(conn)
        except (OSError, ValueError):
            pass
        conn.close()


if __name__ == "__main__":
    main()
