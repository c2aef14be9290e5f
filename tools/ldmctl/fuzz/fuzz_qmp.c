// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the QMP client of qmp.c, end to end, on a socket.
 *
 * Why: the client reads QEMU's QMP socket (the greeting, replies, events,
 * split anyhow into lines and reads) and must turn anything that is not
 * QMP into an error, never into an overread, a leak, a wait for a byte
 * that cannot come, or a reply taken for another command's.
 *
 * The input is everything "QEMU" sends: it is written into one end of a
 * socketpair, which is then shut for writing, and qmp_open_fd() gets the
 * other end, unchanged qmp.c reading a real socket. After the handshake
 * the harness runs query-status, a plain command and one passing a file
 * descriptor (SCM_RIGHTS), again and again, until a command fails with
 * anything but QEMU's own error.
 *
 * Invariants: every call returns 0 or one of the errors qmp.h lists
 * (never -ETIMEDOUT: the end of the input is an end of file, seen at
 * once); a failed open leaves no descriptor and no buffer; the reasons and
 * the version are NUL-terminated within their arrays; nothing leaks
 * (LeakSanitizer).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qmp.h"
#include "fuzz.h"

/* Less than a socket buffer, so the write never blocks. */
#define FUZZ_QMP_MAX	(64 * 1024)

static bool known_error(int r)
{
	return r == -EBADMSG || r == -EPIPE || r == -EREMOTEIO ||
	       r == -ENOMEM;
}

static void check_why(const struct qmp *q)
{
	FUZZ_CHECK(q->why[0] && strnlen(q->why, sizeof(q->why)) < sizeof(q->why));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int devnull = -1;
	int sv[2], sndbuf = 4 * FUZZ_QMP_MAX, r, i;
	size_t off = 0;
	struct qmp q;
	struct jv *ret;
	char st[64];

	if (size > FUZZ_QMP_MAX)
		return 0;
	if (devnull < 0)
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	FUZZ_CHECK(devnull >= 0);
	FUZZ_CHECK(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	while (off < size) {
		ssize_t w = write(sv[1], data + off, size - off);

		FUZZ_CHECK(w > 0);
		off += (size_t)w;
	}
	FUZZ_CHECK(!shutdown(sv[1], SHUT_WR));

	r = qmp_open_fd(&q, sv[0], 5000);
	if (r) {
		FUZZ_CHECK(known_error(r));
		FUZZ_CHECK(q.fd == -1 && !q.buf && !q.len);
		check_why(&q);
		close(sv[1]);
		return 0;
	}
	FUZZ_CHECK(q.fd == sv[0]);
	FUZZ_CHECK(strnlen(q.version, sizeof(q.version)) < sizeof(q.version));
	for (i = 0; i < 16; i++) {
		ret = NULL;
		switch (i % 3) {
		case 0:
			st[0] = '\0';
			r = qmp_status(&q, st, sizeof(st), 5000);
			if (!r)
				FUZZ_CHECK(strnlen(st, sizeof(st)) < sizeof(st));
			break;
		case 1:
			r = qmp_exec(&q, "stop", NULL, -1, 5000, &ret);
			if (!r)
				FUZZ_CHECK(ret);
			break;
		default:
			r = qmp_exec(&q, "getfd", "{\"fdname\": \"ldm\"}",
				     devnull, 5000, NULL);
			break;
		}
		jv_free(ret);
		if (!r)
			continue;
		FUZZ_CHECK(known_error(r));
		check_why(&q);
		if (r != -EREMOTEIO)
			break;
	}
	qmp_close(&q);
	FUZZ_CHECK(q.fd == -1 && !q.buf);
	close(sv[1]);
	return 0;
}
