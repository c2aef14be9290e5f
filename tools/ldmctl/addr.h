/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The addresses the migration commands take: 'migrate's destination
 * [user@]HOST[:TARGET] and 'serve's --listen ADDR[:PORT].
 */
#ifndef LDMCTL_ADDR_H
#define LDMCTL_ADDR_H

#include <stdint.h>

#define ADDR_HOST_MAX	255
#define ADDR_USER_MAX	64

struct mig_dest {
	char user[ADDR_USER_MAX + 1];	/* "" if none */
	char host[ADDR_HOST_MAX + 1];	/* without IPv6 brackets */
	char target[32];		/* "" if none: same as the source */
};

/*
 * dest_parse() - read [user@]HOST[:TARGET]. HOST is a name, an IPv4
 * address or an IPv6 address in brackets ("[::1]:dom"); USER is 1 to 64
 * bytes of [A-Za-z0-9._-]; TARGET is a domain name (name_validate()).
 * Return: 0, or -EINVAL with @why.
 */
int dest_parse(const char *s, struct mig_dest *d, const char **why);

/*
 * listen_parse() - read ADDR[:PORT], [ADDR6][:PORT] or :PORT (every
 * address). A missing port is @def_port. @host gets "" for every address.
 * Return: 0, or -EINVAL with @why.
 */
int listen_parse(const char *s, char host[ADDR_HOST_MAX + 1],
		 uint16_t *port, uint16_t def_port, const char **why);

/* port_parse() - 1..65535, decimal digits only. Return: 0 or -EINVAL. */
int port_parse(const char *s, uint16_t *port);

#endif /* LDMCTL_ADDR_H */
