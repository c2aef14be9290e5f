/* SPDX-License-Identifier: GPL-2.0 */
/* TCP sockets for the migration commands. */
#ifndef LDMCTL_NET_H
#define LDMCTL_NET_H

#include <stdint.h>
#include <sys/socket.h>

/*
 * net_connect() - a TCP connection to @host:@port within @timeout_ms,
 * left non-blocking, with net_tune() applied.
 * Return: the socket or -errno (-ETIMEDOUT, -ECONNREFUSED,
 * -EHOSTUNREACH, -ENOENT for a name that does not resolve).
 */
int net_connect(const char *host, uint16_t port, int timeout_ms);

/*
 * net_listen() - a listening TCP socket on @host ("" for every address)
 * and @port (0: any free port; net_local_port() tells which).
 * Return: the socket or -errno.
 */
int net_listen(const char *host, uint16_t port);
int net_local_port(int fd);

/*
 * net_tune() - TCP_NODELAY, keepalive and TCP_USER_TIMEOUT of
 * @timeout_ms, so that a peer that vanished (cable cut, host gone) fails
 * the connection instead of hanging it.
 */
void net_tune(int fd, int timeout_ms);

/*
 * net_linger_close() - half-close @fd, drain what the peer still sends for
 * up to @timeout_ms, then close: a TLS alert just written reaches the peer
 * instead of being overtaken by a reset.
 */
void net_linger_close(int fd, int timeout_ms);

/* "192.0.2.1" for a peer or local address. */
void net_addr_string(const struct sockaddr_storage *ss, char *buf,
		     size_t size);

/* Monotonic clock in ns and ms. */
uint64_t now_ns(void);
int64_t now_ms(void);

#endif /* LDMCTL_NET_H */
