// SPDX-License-Identifier: GPL-2.0
/*
 * guest/sys.c: the SPARC guest's syscall and libc layer, all of it.
 *
 * A system call on sparc32 Linux is "ta 0x10": its number in %g1, up to
 * six arguments in %o0-%o5, the result in %o0, and the carry flag set on
 * failure (then %o0 holds a positive errno; these wrappers return -errno).
 * fork also returns in %o1: 0 in the parent, 1 in the child.
 *
 * Process entry: the kernel starts _start with %sp pointing at a 64-byte
 * register window save area, then argc, argv[], NULL, envp[], NULL.
 */
#include "sys.h"

int main(int argc, char **argv, char **envp);

/* _start: clear the frame pointer, find argc, leave main a frame's
 * argument dump area (6 words) inside the unused save area, call cstart. */
__asm__(
	"	.section .text\n"
	"	.global _start\n"
	"	.type _start, #function\n"
	"_start:\n"
	"	mov %g0, %fp\n"
	"	add %sp, 64, %o0\n"
	"	call cstart\n"
	"	 sub %sp, 24, %sp\n"
	"	ta 0x10\n"		/* not reached */
	"	.size _start, . - _start\n");

void cstart(long *sp) __attribute__((noreturn, used));
void cstart(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);

	sys_exit(main(argc, argv, argv + argc + 1));
}

/* The registers a system call may change besides %o0/%o1 (as glibc says). */
#define SC_CLOBBERS "memory", "cc", "g2", "g3", "g4", "g5"

static long sc(long n, long a, long b, long c, long d, long e, long f)
{
	register long g1 __asm__("g1") = n;
	register long o0 __asm__("o0") = a;
	register long o1 __asm__("o1") = b;
	register long o2 __asm__("o2") = c;
	register long o3 __asm__("o3") = d;
	register long o4 __asm__("o4") = e;
	register long o5 __asm__("o5") = f;

	/* on error (carry set): %o0 = -%o0; the annulled slot runs only then */
	__asm__ volatile("ta 0x10\n\t"
			 "bcs,a 1f\n\t"
			 " sub %%g0, %%o0, %%o0\n"
			 "1:"
			 : "+r"(o0), "+r"(o1), "+r"(o2), "+r"(o3), "+r"(o4),
			   "+r"(o5), "+r"(g1)
			 :
			 : SC_CLOBBERS);
	return o0;
}

long sys_fork(void)
{
	register long g1 __asm__("g1") = 2;
	register long o0 __asm__("o0");
	register long o1 __asm__("o1");

	/* parent: %o1 = 0, keep the pid; child: %o1 = 1, return 0 */
	__asm__ volatile("ta 0x10\n\t"
			 "bcs,a 1f\n\t"
			 " sub %%g0, %%o0, %%o0\n\t"
			 "sub %%o1, 1, %%o1\n\t"
			 "and %%o0, %%o1, %%o0\n"
			 "1:"
			 : "=r"(o0), "=r"(o1), "+r"(g1)
			 :
			 : SC_CLOBBERS, "o2", "o3", "o4", "o5");
	return o0;
}

#define SC0(n)			sc(n, 0, 0, 0, 0, 0, 0)
#define SC1(n, a)		sc(n, (long)(a), 0, 0, 0, 0, 0)
#define SC2(n, a, b)		sc(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define SC3(n, a, b, c)		sc(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SC4(n, a, b, c, d)	sc(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* sparc32 system call numbers */
enum {
	NR_exit = 1, NR_read = 3, NR_write = 4, NR_open = 5, NR_close = 6,
	NR_wait4 = 7, NR_lseek = 19, NR_getpid = 20, NR_ioctl = 54,
	NR_reboot = 55, NR_mmap = 71, NR_mkdir = 136, NR_poll = 153,
	NR_setpriority = 96,
	NR_mount = 167, NR_nanosleep = 249,
	NR_clock_gettime = 257,
};

long sys_read(int fd, void *buf, size_t n) { return SC3(NR_read, fd, buf, n); }
long sys_write(int fd, const void *buf, size_t n) { return SC3(NR_write, fd, buf, n); }
long sys_open(const char *p, int fl, int mode) { return SC3(NR_open, p, fl, mode); }
long sys_close(int fd) { return SC1(NR_close, fd); }
long sys_lseek(int fd, long off, int wh) { return SC3(NR_lseek, fd, off, wh); }
long sys_ioctl(int fd, unsigned long r, void *a) { return SC3(NR_ioctl, fd, r, a); }
long sys_mkdir(const char *p, int mode) { return SC2(NR_mkdir, p, mode); }
long sys_getpid(void) { return SC0(NR_getpid); }
long sys_setpriority(int which, int who, int prio) { return SC3(NR_setpriority, which, who, prio); }
long sys_poll(struct pollfd *f, unsigned int n, int ms) { return SC3(NR_poll, f, n, ms); }
long sys_clock_gettime(int c, struct timespec *t) { return SC2(NR_clock_gettime, c, t); }

long sys_mount(const char *src, const char *dst, const char *type,
	       unsigned long flags, const void *data)
{
	return sc(NR_mount, (long)src, (long)dst, (long)type, (long)flags,
		  (long)data, 0);
}

void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	long r = sc(NR_mmap, (long)addr, (long)len, prot, flags, fd, off);

	return r < 0 && r > -4096 ? MAP_FAILED : (void *)r;
}

long sys_wait4(int pid, int *status, int options, void *rusage)
{
	return SC4(NR_wait4, pid, status, options, rusage);
}

long sys_nanosleep(const struct timespec *req, struct timespec *rem)
{
	return SC2(NR_nanosleep, req, rem);
}

long sys_poweroff(void)
{
	/* LINUX_REBOOT_MAGIC1, MAGIC2, LINUX_REBOOT_CMD_POWER_OFF */
	return SC4(NR_reboot, 0xfee1dead, 672274793, 0x4321fedc, 0);
}

void sys_exit(int status)
{
	for (;;)
		SC1(NR_exit, status);
}

/* ---- libc ---- */

/* Word at a time where both ends allow it: nested in the lab every
 * instruction counts. */
void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	u32 w = (unsigned char)c * 0x01010101u;

	for (; n && ((size_t)p & 3); n--)
		*p++ = (unsigned char)c;
	for (; n >= 16; n -= 16, p += 16) {
		((u32 *)p)[0] = w;
		((u32 *)p)[1] = w;
		((u32 *)p)[2] = w;
		((u32 *)p)[3] = w;
	}
	for (; n >= 4; n -= 4, p += 4)
		*(u32 *)p = w;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	if (!(((size_t)p | (size_t)q) & 3))
		for (; n >= 4; n -= 4, p += 4, q += 4)
			*(u32 *)p = *(const u32 *)q;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			break;
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, (size_t)-1);
}

int parse_u32(const char *s, u32 *v)
{
	u32 x = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > 429496729u ||
		    (x == 429496729u && *s > '5'))
			return -1;
		x = x * 10 + (u32)(*s - '0');
	}
	*v = x;
	return 0;
}

/* n / d, without libgcc (there is none for -m32): bit by bit, with
 * shifts by constants only (a variable 64-bit shift is a libgcc call). */
u64 div64(u64 n, u32 d)
{
	u64 q = 0, r = 0;
	int i;

	for (i = 0; i < 64; i++) {
		r = (r << 1) | (n >> 63);
		n <<= 1;
		q <<= 1;
		if (r >= d) {
			r -= d;
			q |= 1;
		}
	}
	return q;
}

/* ---- formatting ---- */

struct out {
	char *p, *end;
};

static void put(struct out *o, char c)
{
	if (o->p < o->end)
		*o->p++ = c;
}

static void put_num(struct out *o, u32 v, unsigned int base, int neg,
		    int width, char pad)
{
	char tmp[12];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	for (; width > n; width--)
		put(o, pad);
	while (n)
		put(o, tmp[--n]);
}

int vfmt(char *buf, size_t size, const char *f, va_list ap)
{
	struct out o = { buf, buf + size - 1 };

	for (; *f; f++) {
		int width = 0;
		char pad = ' ';

		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		f++;
		if (*f == '0')
			pad = '0';
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		if (*f == 'l')	/* long is int here */
			f++;
		switch (*f) {
		case 'd': {
			long v = va_arg(ap, long);

			put_num(&o, v < 0 ? (u32)-v : (u32)v, 10, v < 0, width, pad);
			break;
		}
		case 'u':
			put_num(&o, va_arg(ap, u32), 10, 0, width, pad);
			break;
		case 'x':
			put_num(&o, va_arg(ap, u32), 16, 0, width, pad);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len = (int)strlen(s);

			for (; width > len; width--)
				put(&o, ' ');
			while (*s)
				put(&o, *s++);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:	/* not ours: shown as is */
			put(&o, '%');
			if (*f)
				put(&o, *f);
			else
				f--;
		}
	}
	*o.p = 0;
	return (int)(o.p - buf);
}

int fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vfmt(buf, size, f, ap);
	va_end(ap);
	return n;
}

void say(const char *f, ...)
{
	char line[512];
	va_list ap;
	int n;

	memcpy(line, "ldm-guest: ", 11);
	va_start(ap, f);
	n = 11 + vfmt(line + 11, sizeof(line) - 12, f, ap);
	va_end(ap);
	line[n++] = '\n';
	sys_write(1, line, (size_t)n);
}

/* ---- time ---- */

void mono_now(struct timespec *ts)
{
	sys_clock_gettime(CLOCK_MONOTONIC, ts);
}

long us_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000L +
	       (b->tv_nsec - a->tv_nsec) / 1000;
}

void sleep_us(long us)
{
	struct timespec t = { us / 1000000, (us % 1000000) * 1000 };

	while (sys_nanosleep(&t, &t) == -EINTR)
		;
}
