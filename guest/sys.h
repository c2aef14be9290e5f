/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest/sys.h: the interface of guest/sys.c, the SPARC guest's whole
 * syscall and libc layer (sparc32 Linux, no libc: Debian's 32-bit SPARC
 * libc needs UltraSPARC, the SS-5 is a sun4m).
 *
 * Numbers and flag values are sparc32's own (arch/sparc/kernel/syscalls/
 * syscall.tbl, the 32-bit column; arch/sparc/include/uapi/asm/): O_CREAT
 * and friends differ from x86's.
 */
#ifndef LDM_GUEST_SYS_H
#define LDM_GUEST_SYS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t u32;
typedef uint64_t u64;

#define PAGE_SIZE	4096u

/* open(2) flags (sparc values) */
#define O_RDONLY	0x0000
#define O_WRONLY	0x0001
#define O_RDWR		0x0002
#define O_CREAT		0x0200
#define O_TRUNC		0x0400
#define O_NONBLOCK	0x4000

/* mmap(2) */
#define PROT_READ	0x1
#define PROT_WRITE	0x2
#define MAP_SHARED	0x01
#define MAP_PRIVATE	0x02
#define MAP_ANONYMOUS	0x20
#define MAP_FAILED	((void *)-1)

#define CLOCK_MONOTONIC	1
#define POLLIN		0x0001
#define WNOHANG		1
#define PRIO_PROCESS	0
#define SEEK_SET	0
#define ENOENT		2
#define EINTR		4

struct timespec {
	long tv_sec;
	long tv_nsec;
};

struct pollfd {
	int fd;
	short events;
	short revents;
};

/* System calls: the result, or -errno. */
long sys_read(int fd, void *buf, size_t n);
long sys_write(int fd, const void *buf, size_t n);
long sys_open(const char *path, int flags, int mode);
long sys_close(int fd);
long sys_lseek(int fd, long off, int whence);
long sys_ioctl(int fd, unsigned long req, void *arg);
long sys_mkdir(const char *path, int mode);
long sys_mount(const char *src, const char *dst, const char *type,
	       unsigned long flags, const void *data);
void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
long sys_fork(void);		/* 0 in the child */
long sys_wait4(int pid, int *status, int options, void *rusage);
long sys_poll(struct pollfd *fds, unsigned int n, int timeout_ms);
long sys_nanosleep(const struct timespec *req, struct timespec *rem);
long sys_clock_gettime(int clk, struct timespec *ts);
long sys_getpid(void);
long sys_setpriority(int which, int who, int prio);
long sys_poweroff(void);
void sys_exit(int status) __attribute__((noreturn));

/* libc bits */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/*
 * fmt: a small vsnprintf: %d %u %x %s %c, with an optional width and '0'
 * flag, and %%; always NUL-terminates; returns the length written.
 */
int vfmt(char *buf, size_t size, const char *f, va_list ap);
int fmt(char *buf, size_t size, const char *f, ...)
	__attribute__((format(printf, 3, 4)));
/* say: one line on the console ("ldm-guest: " + text + "\n"), one write. */
void say(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* time */
void mono_now(struct timespec *ts);
/* microseconds from a to b (b later); fine for up to 35 min */
long us_between(const struct timespec *a, const struct timespec *b);
void sleep_us(long us);

/* n / d for 64-bit n (libgcc's __udivdi3 is not there) */
u64 div64(u64 n, u32 d);

/* parse_u32: a whole decimal number; 0 and *v set on success, -1 if not */
int parse_u32(const char *s, u32 *v);

#endif
