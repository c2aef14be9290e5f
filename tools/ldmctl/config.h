/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where ldmctl keeps its keys and its run-time files, and the defaults of
 * the migration commands. Every path here can be overridden on the
 * command line (--cert, --key, --trust-dir).
 */
#ifndef LDMCTL_CONFIG_H
#define LDMCTL_CONFIG_H

#define LDM_ETC_DIR		"/etc/ldm"
#define LDM_DEFAULT_CERT	LDM_ETC_DIR "/server.crt"
#define LDM_DEFAULT_KEY		LDM_ETC_DIR "/server.key"
#define LDM_DEFAULT_TRUST_DIR	LDM_ETC_DIR "/trust"

/*
 * Run-time state: the lock file of each running migration (which
 * 'ldmctl cancel-operation' finds) and the markers of half-made target
 * domains (which 'ldmctl serve' discards).
 */
#define LDM_RUN_DIR		"/run/ldm"
#define LDM_RUN_MIGRATE_DIR	LDM_RUN_DIR "/migrate"
#define LDM_RUN_INCOMING_DIR	LDM_RUN_DIR "/incoming"

/* The control port of 'ldmctl serve' (TCP; LDoms' ldmd uses 8101 too). */
#define LDM_DEFAULT_PORT	8101

#endif /* LDMCTL_CONFIG_H */
