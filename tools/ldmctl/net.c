// SPDX-License-Identifier: GPL-2.0
/* TCP sockets; see net.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int64_t now_ms(void)
{
	return (int64_t)(now_ns() / 1000000ULL);
}

void net_tune(int fd, int timeout_ms)
{
	int one = 1, idle = 2, cnt = 3;
	unsigned int ut = (unsigned int)timeout_ms;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
}

static int resolve(const char *host, uint16_t port, bool passive,
		   struct addrinfo **res)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = passive ? AI_PASSIVE : AI_ADDRCONFIG,
	};
	char ports[8];
	int err;

	snprintf(ports, sizeof(ports), "%u", port);
	err = getaddrinfo(host && *host ? host : NULL, ports, &hints, res);
	if (err == EAI_SYSTEM)
		return -errno;
	if (err == EAI_NONAME || err == EAI_NODATA || err == EAI_FAIL)
		return -ENOENT;
	return err ? -EINVAL : 0;
}

int net_connect(const char *host, uint16_t port, int timeout_ms)
{
	struct addrinfo *res, *ai;
	int fd = -1, err;

	err = resolve(host, port, false, &res);
	if (err)
		return err;
	err = -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd p;
		socklen_t len = sizeof(err);
		int soerr = 0;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		net_tune(fd, timeout_ms);
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		if (errno != EINPROGRESS) {
			err = -errno;
			goto next;
		}
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, timeout_ms) <= 0) {
			err = -ETIMEDOUT;
			goto next;
		}
		len = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) ||
		    soerr) {
			err = -(soerr ? soerr : errno);
			goto next;
		}
		break;
next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd >= 0 ? fd : err;
}

int net_listen(const char *host, uint16_t port)
{
	struct addrinfo *res, *ai;
	int fd = -1, err, one = 1;

	err = resolve(host, port, true, &res);
	if (err)
		return err;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 64))
			break;
		err = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd >= 0 ? fd : err;
}

void net_linger_close(int fd, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	char sink[4096];

	/*
	 * Closing a socket with unread input makes the kernel answer with a
	 * reset, and a reset can overtake the alert still in flight: the
	 * peer then sees "connection reset" instead of why it was refused.
	 * Half-close and read until the peer closes too (or the deadline).
	 */
	if (!shutdown(fd, SHUT_WR)) {
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int64_t left = deadline - now_ms();
			ssize_t n;

			if (left <= 0 || poll(&p, 1, (int)left) <= 0)
				break;
			n = read(fd, sink, sizeof(sink));
			if (n == 0 || (n < 0 && errno != EAGAIN &&
				       errno != EINTR))
				break;
		}
	}
	close(fd);
}

int net_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -EAFNOSUPPORT;
}

void net_addr_string(const struct sockaddr_storage *ss, char *buf,
		     size_t size)
{
	const void *a = NULL;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (!a || !inet_ntop(ss->ss_family, a, buf, (socklen_t)size))
		snprintf(buf, size, "?");
}
