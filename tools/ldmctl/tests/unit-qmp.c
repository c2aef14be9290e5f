// SPDX-License-Identifier: GPL-2.0
/*
 * Native unit tests of the QMP client (qmp.c) and of the DEVSTATE message
 * that carries QEMU's device state (proto.c): the strict JSON parser, the
 * classification of QMP messages, and whole conversations with a scripted
 * fake QEMU on the other end of a socketpair (greeting, capabilities,
 * events skipped, id matching, errors, timeouts, a closed socket, an fd
 * passed with getfd).
 *
 * Output is TAP, one test point per function in tests[].
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto.h"
#include "qmp.h"

#include "check.h"

static int parse(const char *s, struct jv **v)
{
	return jv_parse(s, strlen(s), v);
}

/* ---- JSON ---- */

static void test_json_values(void)
{
	struct jv *v;

	CHECK_INT(parse(" {\"a\": [1, -2.5e3, true, false, null], \"b\": {\"c\": \"x\"}} ",
			&v), 0);
	if (!v)
		return;
	CHECK_INT(v->type, JV_OBJ);
	CHECK_INT(v->n, 2);
	CHECK_INT(jv_get(v, "a")->type, JV_ARR);
	CHECK_INT(jv_get(v, "a")->n, 5);
	CHECK_STR(jv_get(v, "a")->items[0].s, "1");
	CHECK_STR(jv_get(v, "a")->items[1].s, "-2.5e3");
	CHECK(jv_get(v, "a")->items[2].b);
	CHECK_INT(jv_get(v, "a")->items[3].type, JV_BOOL);
	CHECK(!jv_get(v, "a")->items[3].b);
	CHECK_INT(jv_get(v, "a")->items[4].type, JV_NULL);
	CHECK_STR(jv_str(jv_get(jv_get(v, "b"), "c")), "x");
	CHECK(!jv_get(v, "zz"));
	CHECK(!jv_str(jv_get(v, "a")));
	CHECK(!jv_get(jv_get(v, "a"), "x"));
	jv_free(v);

	CHECK_INT(parse("{}", &v), 0);
	CHECK_INT(v->n, 0);
	jv_free(v);
	CHECK_INT(parse("[]", &v), 0);
	jv_free(v);
}

static void test_json_strings(void)
{
	struct jv *v;

	CHECK_INT(parse("\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\"", &v), 0);
	if (v)
		CHECK_STR(v->s, "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	jv_free(v);
}

static void test_json_rejects(void)
{
	static const char *const bad[] = {
		"", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}",
		"01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "\"abc",
		"\"a\\x\"", "\"\\u12\"", "\"\\u0000\"", "\"\\ud800\"",
		"\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\tb\"", "{} {}",
		"{\"a\":1,\"a\":2}", "[1 2]", "{\"a\":1}x", "'a'",
		/* not UTF-8: a stray continuation byte, a cut sequence,
		 * an overlong '/', a surrogate, beyond U+10FFFF, 0xff */
		"\"\x80\"", "\"\xc3\"", "\"\xe2\x82\"", "\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xff\"",
		"{\"\xc3(\": 1}",
	};
	char deep[2 * JV_MAX_DEPTH + 8];
	struct jv *v;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = parse(bad[i], &v);

		if (err != -EBADMSG)
			fail_at(__FILE__, __LINE__, "'%s' parsed (%d)", bad[i], err);
		CHECK(!v);
	}
	/* A NUL inside the text is not JSON either. */
	CHECK_INT(jv_parse("[1]\0", 4, &v), -EBADMSG);
	/* Depth is limited. */
	memset(deep, '[', JV_MAX_DEPTH + 1);
	memset(deep + JV_MAX_DEPTH + 1, ']', JV_MAX_DEPTH + 1);
	CHECK_INT(jv_parse(deep, 2 * (JV_MAX_DEPTH + 1), &v), -EBADMSG);
	CHECK_INT(jv_parse(deep + 1, 2 * JV_MAX_DEPTH, &v), 0);
	jv_free(v);
}

/* ---- message kinds ---- */

static int classify(const char *s, uint64_t *id)
{
	char why[128];
	struct jv *v;
	int k;

	if (parse(s, &v))
		return -1000;
	*id = UINT64_MAX;
	k = qmp_classify(v, id, why, sizeof(why));
	jv_free(v);
	return k;
}

static void test_classify(void)
{
	uint64_t id;

	CHECK_INT(classify("{\"QMP\": {\"version\": {}, \"capabilities\": []}}", &id),
		  QMP_GREETING);
	CHECK_INT(classify("{\"event\": \"STOP\", \"timestamp\": {}}", &id), QMP_EVENT);
	CHECK_INT(classify("{\"return\": {}, \"id\": 7}", &id), QMP_RETURN);
	CHECK_INT(id, 7);
	CHECK_INT(classify("{\"id\": 8, \"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}}",
			   &id), QMP_ERROR);
	CHECK_INT(id, 8);
	/* What is not QMP. */
	CHECK_INT(classify("[]", &id), -EBADMSG);
	CHECK_INT(classify("{\"QMP\": 1}", &id), -EBADMSG);
	CHECK_INT(classify("{\"QMP\": {}, \"x\": 1}", &id), -EBADMSG);
	CHECK_INT(classify("{\"event\": 1}", &id), -EBADMSG);
	CHECK_INT(classify("{\"return\": {}}", &id), -EBADMSG);
	CHECK_INT(classify("{\"return\": {}, \"id\": \"7\"}", &id), -EBADMSG);
	CHECK_INT(classify("{\"return\": {}, \"id\": -1}", &id), -EBADMSG);
	CHECK_INT(classify("{\"return\": {}, \"id\": 1.5}", &id), -EBADMSG);
	CHECK_INT(classify("{\"return\": {}, \"id\": 99999999999999999999999}", &id),
		  -EBADMSG);
	CHECK_INT(classify("{\"return\": {}, \"error\": {}, \"id\": 1}", &id), -EBADMSG);
	CHECK_INT(classify("{\"error\": {\"class\": \"X\"}, \"id\": 1}", &id), -EBADMSG);
	CHECK_INT(classify("{\"id\": 1}", &id), -EBADMSG);
}

/* ---- conversations with a fake QEMU ---- */

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 17, \"minor\": 2, \"major\": 7}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}\n"

/*
 * The fake QEMU runs @script in a child: "<TEXT" reads one line, which
 * must contain TEXT and an id (remembered); ">TEXT" writes TEXT with each
 * "@ID" replaced by that id; "fTEXT" reads a line containing TEXT and
 * must receive a file descriptor with it, then writes "x" into it; "z"
 * sleeps 2 s; "c" closes. The child exits 0 if all went as scripted.
 */
static pid_t fake_qemu(int fd, const char *const *script)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	{
		char line[4096], id[32] = "0", out[4096];
		size_t i;

		for (i = 0; script[i]; i++) {
			const char *s = script[i];

			if (s[0] == '<' || s[0] == 'f') {
				char cbuf[CMSG_SPACE(sizeof(int))];
				struct iovec iov;
				struct msghdr mh = { 0 };
				size_t n = 0;
				int got_fd = -1;
				char *p;

				/* One byte at a time: stop at the newline. */
				while (n < sizeof(line) - 1) {
					struct cmsghdr *c;

					iov.iov_base = line + n;
					iov.iov_len = 1;
					mh.msg_iov = &iov;
					mh.msg_iovlen = 1;
					mh.msg_control = cbuf;
					mh.msg_controllen = sizeof(cbuf);
					if (recvmsg(fd, &mh, 0) != 1)
						_exit(2);
					c = CMSG_FIRSTHDR(&mh);
					if (c && c->cmsg_type == SCM_RIGHTS)
						memcpy(&got_fd, CMSG_DATA(c), sizeof(int));
					if (line[n++] == '\n')
						break;
				}
				line[n] = '\0';
				if (!strstr(line, s + 1))
					_exit(3);
				p = strstr(line, "\"id\": ");
				if (!p)
					_exit(4);
				snprintf(id, sizeof(id), "%ld", strtol(p + 6, NULL, 10));
				if (s[0] == 'f') {
					if (got_fd < 0 || write(got_fd, "x", 1) != 1)
						_exit(5);
					close(got_fd);
				}
			} else if (s[0] == '>') {
				const char *in = s + 1;
				size_t o = 0;

				while (*in && o < sizeof(out) - 32) {
					if (!strncmp(in, "@ID", 3)) {
						o += (size_t)sprintf(out + o, "%s", id);
						in += 3;
					} else {
						out[o++] = *in++;
					}
				}
				if (write(fd, out, o) != (ssize_t)o)
					_exit(6);
			} else if (s[0] == 'z') {
				sleep(2);
			} else if (s[0] == 'c') {
				close(fd);
			}
		}
		_exit(0);
	}
}

static int fake_done(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

/* A client connected to a fake QEMU running @script; the handshake's result. */
static int start(struct qmp *q, const char *const *script, pid_t *pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -errno;
	*pid = fake_qemu(sv[1], script);
	close(sv[1]);
	return qmp_open_fd(q, sv[0], 1000);
}

static void test_qmp_session(void)
{
	static const char *const script[] = {
		">" GREETING,
		"<\"execute\": \"qmp_capabilities\"",
		">{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\n"
		"{\"return\": {}, \"id\": @ID}\n",
		"<\"execute\": \"query-status\"",
		">{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\n"
		"{\"return\": {\"status\": \"paused\", \"singlestep\": false, \"running\": false}, \"id\": @ID}\n",
		"<\"arguments\": {\"capabilities\": [{\"capability\": \"x-ignore-shared\"",
		">{\"return\": {}, \"id\": @ID}\n",
		"<\"execute\": \"cont\"",
		">{\"id\": @ID, \"error\": {\"class\": \"GenericError\", \"desc\": \"Migration is not finalized yet\"}}\n",
		"<\"execute\": \"query-migrate\"",
		">{\"return\": {\"status\": \"completed\", \"total-time\": 12}, \"id\": @ID}\n",
		NULL,
	};
	struct qmp q;
	struct jv *r;
	char st[32];
	pid_t pid;

	CHECK_INT(start(&q, script, &pid), 0);
	CHECK_STR(q.version, "7.2");
	CHECK_INT(qmp_status(&q, st, sizeof(st), 1000), 0);
	CHECK_STR(st, "paused");
	CHECK_INT(qmp_exec(&q, "migrate-set-capabilities",
			   "{\"capabilities\": [{\"capability\": \"x-ignore-shared\", \"state\": true}]}",
			   -1, 1000, NULL), 0);
	CHECK_INT(qmp_exec(&q, "cont", NULL, -1, 1000, NULL), -EREMOTEIO);
	CHECK(strstr(q.why, "GenericError: Migration is not finalized yet"));
	CHECK_INT(qmp_exec(&q, "query-migrate", NULL, -1, 1000, &r), 0);
	CHECK_STR(jv_str(jv_get(r, "status")), "completed");
	jv_free(r);
	qmp_close(&q);
	CHECK_INT(fake_done(pid), 0);
}

static void test_qmp_getfd(void)
{
	static const char *const script[] = {
		">" GREETING,
		"<qmp_capabilities",
		">{\"return\": {}, \"id\": @ID}\n",
		"f\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"ldm-devstate\"}",
		">{\"return\": {}, \"id\": @ID}\n",
		NULL,
	};
	struct qmp q;
	int p[2];
	char c = 0;
	pid_t pid;

	CHECK_INT(pipe(p), 0);
	CHECK_INT(start(&q, script, &pid), 0);
	CHECK_INT(qmp_exec(&q, "getfd", "{\"fdname\": \"ldm-devstate\"}", p[1],
			   1000, NULL), 0);
	close(p[1]);
	CHECK_INT(read(p[0], &c, 1), 1);
	CHECK_INT(c, 'x');
	close(p[0]);
	qmp_close(&q);
	CHECK_INT(fake_done(pid), 0);
}

static void test_qmp_wrong_id(void)
{
	static const char *const script[] = {
		">" GREETING,
		"<qmp_capabilities",
		">{\"return\": {}, \"id\": @ID}\n",
		"<query-status",
		">{\"return\": {\"status\": \"running\"}, \"id\": 12345}\n",
		NULL,
	};
	struct qmp q;
	char st[32];
	pid_t pid;

	CHECK_INT(start(&q, script, &pid), 0);
	CHECK_INT(qmp_status(&q, st, sizeof(st), 1000), -EBADMSG);
	CHECK(strstr(q.why, "another command's id"));
	qmp_close(&q);
	CHECK_INT(fake_done(pid), 0);
}

static void test_qmp_bad_replies(void)
{
	static const char *const notjson[] = {
		">" GREETING, "<qmp_capabilities", ">{\"return\": {}, \"id\": @ID}\n",
		"<query-status", ">{\"return\": {\"status\": \"running\"}, \"id\": @ID\n", NULL,
	};
	static const char *const nostatus[] = {
		">" GREETING, "<qmp_capabilities", ">{\"return\": {}, \"id\": @ID}\n",
		"<query-status", ">{\"return\": {\"running\": true}, \"id\": @ID}\n", NULL,
	};
	static const char *const greet2[] = {
		">" GREETING, "<qmp_capabilities", ">{\"return\": {}, \"id\": @ID}\n",
		"<query-status", ">" GREETING, NULL,
	};
	const char *const *scripts[] = { notjson, nostatus, greet2 };
	const int want[] = { -EBADMSG, -EBADMSG, -EBADMSG };
	size_t i;

	for (i = 0; i < 3; i++) {
		struct qmp q;
		char st[32];
		pid_t pid;

		CHECK_INT(start(&q, scripts[i], &pid), 0);
		CHECK_INT(qmp_status(&q, st, sizeof(st), 1000), want[i]);
		qmp_close(&q);
		CHECK_INT(fake_done(pid), 0);
	}
}

static void test_qmp_no_greeting(void)
{
	static const char *const notqmp[] = {
		">{\"return\": {}, \"id\": 1}\n", "z", NULL,
	};
	static const char *const silent[] = { "z", NULL };
	static const char *const closes[] = { "c", NULL };
	static const char *const refused[] = {
		">" GREETING, "<qmp_capabilities",
		">{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"nope\"}, \"id\": @ID}\n",
		NULL,
	};
	struct qmp q;
	pid_t pid;

	CHECK_INT(start(&q, notqmp, &pid), -EBADMSG);
	CHECK(strstr(q.why, "no QMP greeting"));
	CHECK_INT(q.fd, -1);
	CHECK_INT(fake_done(pid), 0);
	CHECK_INT(start(&q, silent, &pid), -ETIMEDOUT);
	CHECK_INT(fake_done(pid), 0);
	CHECK_INT(start(&q, closes, &pid), -EPIPE);
	CHECK_INT(fake_done(pid), 0);
	CHECK_INT(start(&q, refused, &pid), -EREMOTEIO);
	CHECK(strstr(q.why, "CommandNotFound: nope"));
	CHECK_INT(fake_done(pid), 0);
}

static void test_qmp_timeout_and_close(void)
{
	static const char *const script[] = {
		">" GREETING, "<qmp_capabilities", ">{\"return\": {}, \"id\": @ID}\n",
		"<\"execute\": \"stop\"",
		">{\"event\": \"STOP\", \"timestamp\": {}}\n", "z", "c", NULL,
	};
	struct qmp q;
	pid_t pid;

	CHECK_INT(start(&q, script, &pid), 0);
	CHECK_INT(qmp_exec(&q, "stop", NULL, -1, 300, NULL), -ETIMEDOUT);
	/* The socket then closes: the next wait says so. */
	CHECK_INT(qmp_exec(&q, "cont", NULL, -1, 5000, NULL), -EPIPE);
	qmp_close(&q);
	CHECK_INT(fake_done(pid), 0);
	CHECK_INT(qmp_exec(&q, "cont", NULL, -1, 100, NULL), -ENOTCONN);
}

static void test_qmp_open_missing(void)
{
	struct qmp q;

	CHECK_INT(qmp_open(&q, "/nonexistent/ldm-test.qmp", 100), -ENOENT);
	CHECK(strstr(q.why, "/nonexistent/ldm-test.qmp"));
	CHECK_INT(q.fd, -1);
}

/* ---- DEVSTATE ---- */

static void test_devstate_round_trip(void)
{
	static uint8_t data[PROTO_DEVSTATE_CHUNK];
	struct proto_devstate d = { .offset = 65536, .last = 1,
				    .len = sizeof(data), .data = data }, g;
	uint32_t plen;
	uint16_t type;
	struct pbuf b;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	pbuf_init(&b);
	CHECK_INT(proto_put_devstate(&b, &d), 0);
	CHECK_INT(proto_parse_header(b.data, &plen, &type), 0);
	CHECK_INT(type, PROTO_MSG_DEVSTATE);
	CHECK_INT(plen, 16 + sizeof(data));
	CHECK_INT(proto_get_devstate(b.data + PROTO_HDR_BYTES, plen, &g), 0);
	CHECK_INT(g.offset, 65536);
	CHECK_INT(g.last, 1);
	CHECK_INT(g.len, sizeof(data));
	CHECK(g.data && !memcmp(g.data, data, sizeof(data)));
	/* Every byte counts: one less or one more is malformed. */
	CHECK_INT(proto_get_devstate(b.data + PROTO_HDR_BYTES, plen - 1, &g), -EBADMSG);
	pbuf_free(&b);

	/* An empty last chunk is fine (a zero-length state is not QEMU's). */
	pbuf_init(&b);
	d.offset = 0;
	d.len = 0;
	CHECK_INT(proto_put_devstate(&b, &d), 0);
	CHECK_INT(proto_get_devstate(b.data + PROTO_HDR_BYTES, b.len - PROTO_HDR_BYTES,
				     &g), 0);
	CHECK_INT(g.len, 0);
	pbuf_free(&b);
	CHECK_STR(proto_msg_name(PROTO_MSG_DEVSTATE), "DEVSTATE");
}

static void test_devstate_limits(void)
{
	static uint8_t data[PROTO_DEVSTATE_CHUNK + 1];
	struct proto_devstate d = { .data = data }, g;
	uint8_t raw[16 + 4] = { 0 };
	struct pbuf b;

	pbuf_init(&b);
	d.len = PROTO_DEVSTATE_CHUNK + 1;
	CHECK_INT(proto_put_devstate(&b, &d), -EINVAL);
	d.len = 16;
	d.offset = PROTO_DEVSTATE_MAX - 8;	/* past 16 MiB in all */
	CHECK_INT(proto_put_devstate(&b, &d), -EINVAL);
	d.offset = 0;
	d.last = 2;
	CHECK_INT(proto_put_devstate(&b, &d), -EINVAL);
	CHECK_INT(b.len, 0);
	pbuf_free(&b);

	/* Hand-made payloads: offset u64, last u32, len u32, data. */
	raw[11] = 2;				/* last = 2 */
	CHECK_INT(proto_get_devstate(raw, 16, &g), -EBADMSG);
	raw[11] = 1;
	raw[15] = 4;				/* len 4, 4 bytes follow */
	CHECK_INT(proto_get_devstate(raw, 20, &g), 0);
	CHECK_INT(proto_get_devstate(raw, 19, &g), -EBADMSG);
	raw[13] = 0x01;				/* len 65540 > a chunk */
	CHECK_INT(proto_get_devstate(raw, 20, &g), -EBADMSG);
	raw[13] = 0;
	raw[4] = 0x01;				/* offset 16 MiB + 64 KiB: */
	raw[5] = 0x01;				/* past the limit */
	CHECK_INT(proto_get_devstate(raw, 20, &g), -EBADMSG);
}

static const struct unit_test tests[] = {
	T(test_json_values),
	T(test_json_strings),
	T(test_json_rejects),
	T(test_classify),
	T(test_qmp_session),
	T(test_qmp_getfd),
	T(test_qmp_wrong_id),
	T(test_qmp_bad_replies),
	T(test_qmp_no_greeting),
	T(test_qmp_timeout_and_close),
	T(test_qmp_open_missing),
	T(test_devstate_round_trip),
	T(test_devstate_limits),
};

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
