// SPDX-License-Identifier: GPL-2.0
/*
 * The "ldm" netlink family under random and mutated requests: every
 * command number (and some past the last), random attribute types,
 * lengths and bytes, well-typed attributes of the wrong length, nested
 * junk, truncated headers, as root and as an unprivileged user. Every
 * request must get an answer (an errno, or success for the few valid
 * ones), and the family must still work afterwards; lab/run fails the run
 * on any WARNING, BUG or leak report in dmesg. Deterministic: the seed is
 * fixed so that every run of make check sends the same requests; set
 * LDM_FUZZ_SEED to explore others (it is printed).
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "ldm_test.h"

#define FUZZ_REQUESTS	4000

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* One random request; returns what the kernel said. */
static int fuzz_one(struct ldm_nl *nl, uint64_t *s, unsigned int i)
{
	uint8_t junk[96];
	struct ldm_msg m;
	unsigned int n, k, t, len;
	char name[16];

	ldm_msg_init(&m, nl->family, rnd(s) % 4 ? 0 : NLM_F_DUMP,
		     rnd(s) % (LDM_CMD_MAX + 3), rnd(s) % 3);
	n = rnd(s) % 8;
	for (k = 0; k < n; k++) {
		for (t = 0; t < sizeof(junk); t++)
			junk[t] = rnd(s);
		t = rnd(s) % (LDM_A_MAX + 4);
		switch (rnd(s) % 5) {
		case 0:	/* a plausible name, so some requests get far */
			snprintf(name, sizeof(name), "fz%u", i % 7);
			ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, name);
			break;
		case 1:	/* a plausible integer of either width */
			if (rnd(s) % 2)
				ldm_msg_put_u32(&m, t, rnd(s) % 70000);
			else
				ldm_msg_put_u64(&m, t, (rnd(s) % 64) << 12);
			break;
		case 2:	/* nested junk */
			len = rnd(s) % 32;
			junk[0] = len + 4;
			junk[1] = 0;
			junk[2] = rnd(s) % (LDM_A_MAX + 2);
			junk[3] = 0x80;	/* NLA_F_NESTED */
			ldm_msg_put(&m, t | 0x8000, junk, len + 4);
			break;
		default: /* any type, any length, any bytes */
			len = rnd(s) % sizeof(junk);
			ldm_msg_put(&m, t, junk, len);
			break;
		}
	}
	/* Sometimes cut the message short of what its header says. */
	if (rnd(s) % 16 == 0 && m.nlh.nlmsg_len > NLMSG_HDRLEN + 8)
		m.nlh.nlmsg_len -= 1 + rnd(s) % 8;
	return ldm_nl_request(nl, &m, NULL, NULL);
}

static uint64_t seed(void)
{
	const char *e = getenv("LDM_FUZZ_SEED");

	return e ? strtoull(e, NULL, 0) : 20261128;
}

/* Remove what the fuzzer may have created. */
static void cleanup(struct ldm_nl *nl)
{
	char name[16];
	struct ldm_msg m;
	unsigned int i;

	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "fz%u", i);
		ldm_msg_init(&m, nl->family, 0, LDM_CMD_MIGRATE_STOP,
			     LDM_GENL_VERSION);
		ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, name);
		ldm_nl_request(nl, &m, NULL, NULL);
		ldm_msg_init(&m, nl->family, 0, LDM_CMD_DOMAIN_SET_STATE,
			     LDM_GENL_VERSION);
		ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, name);
		ldm_msg_put_u32(&m, LDM_A_DOMAIN_STATE,
				LDM_DOMAIN_STATE_ACTIVE);
		ldm_nl_request(nl, &m, NULL, NULL);
		ldm_domain_del(nl, name);
	}
}

/* No state: a fixture for the timeout (a debug kernel is slow). */
FIXTURE(fuzz) {};
FIXTURE_SETUP(fuzz) {}
FIXTURE_TEARDOWN(fuzz) {}

TEST_F_TIMEOUT(fuzz, random_requests_as_root_get_answers, 300)
{
	uint64_t s = seed(), start = s;
	unsigned int i, ok = 0, refused = 0;
	struct ldm_domain_info info;
	struct ldm_nl nl;
	int err;

	TH_LOG("seed %llu", (unsigned long long)start);
	ASSERT_EQ(0, ldm_nl_open_ldm(&nl));
	for (i = 0; i < FUZZ_REQUESTS; i++) {
		err = fuzz_one(&nl, &s, i);
		if (!err) {
			ok++;
			continue;
		}
		/* An errno the kernel can legitimately give. */
		ASSERT_TRUE(err < 0 && err > -4096) TH_LOG("request %u: %d", i,
							   err);
		refused++;
	}
	TH_LOG("%u requests: %u accepted, %u refused", i, ok, refused);
	EXPECT_LT(refused, FUZZ_REQUESTS);	/* some went through */
	/* Still healthy: a fresh domain works end to end. */
	cleanup(&nl);
	ASSERT_EQ(0, ldm_domain_new(&nl, "fz-after", 1 << 20));
	ASSERT_EQ(0, ldm_domain_get(&nl, "fz-after", &info));
	EXPECT_EQ(1 << 20, info.size);
	EXPECT_EQ(0, ldm_domain_del(&nl, "fz-after"));
	ldm_nl_close(&nl);
}

TEST_F_TIMEOUT(fuzz, random_requests_as_nobody_are_all_refused, 300)
{
	uint64_t s = seed();
	unsigned int i;
	struct ldm_nl nl;
	int err, status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (drop_to_nobody() || ldm_nl_open_ldm(&nl))
			_exit(2);
		for (i = 0; i < FUZZ_REQUESTS / 2; i++) {
			err = fuzz_one(&nl, &s, i);
			/* Unknown commands say EOPNOTSUPP before the check. */
			if (err != -EPERM && err != -EOPNOTSUPP &&
			    err != -EINVAL)
				_exit(1);
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %d", status);
}

TEST_HARNESS_MAIN
