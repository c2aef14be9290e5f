// SPDX-License-Identifier: GPL-2.0
/*
 * ldm_netlink_test: the generic netlink family "ldm".
 *
 * Creating, listing and destroying domains, every malformed request the
 * family must refuse (with the errno and an extack message), the module
 * parameter max_domain_mib, and CAP_NET_ADMIN on every op.
 *
 * Runs in the lab VM with ldm.ko loaded (selftests/run.sh).
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "ldm_test.h"

#include <pthread.h>

#define MAX_TRACKED	600

FIXTURE(nl)
{
	struct ldm_nl nl;
	size_t page;
	/* names this test created, destroyed by the teardown */
	char names[MAX_TRACKED][LDM_NAME_MAX];
	int nnames;
	/* max_domain_mib to restore, or -1 */
	long long saved_max_mib;
};

FIXTURE_SETUP(nl)
{
	int err = ldm_nl_open_ldm(&self->nl);

	ASSERT_EQ(0, err) TH_LOG("resolving the \"ldm\" genl family: %s",
				 strerror(-err));
	self->page = page_size();
	self->saved_max_mib = -1;
}

FIXTURE_TEARDOWN(nl)
{
	int i;

	for (i = 0; i < self->nnames; i++) {
		int err = ldm_domain_del(&self->nl, self->names[i]);

		if (err && err != -ENOENT)
			TH_LOG("teardown: destroying %s: %s", self->names[i],
			       strerror(-err));
	}
	if (self->saved_max_mib >= 0)
		write_param(LDM_PARAM_MAX_MIB, self->saved_max_mib);
	ldm_nl_close(&self->nl);
}

/* Remember @name (if it can be a domain name) for the teardown. */
static void track(FIXTURE_DATA(nl) *self, const char *name)
{
	size_t len = strnlen(name, LDM_NAME_MAX);

	if (self->nnames < MAX_TRACKED && len < LDM_NAME_MAX) {
		memcpy(self->names[self->nnames], name, len + 1);
		self->nnames++;
	}
}

/* A fresh unique name, kept in the fixture and tracked for teardown. */
static const char *new_name(FIXTURE_DATA(nl) *self, const char *tag)
{
	if (self->nnames >= MAX_TRACKED)
		abort();
	ldm_test_name(self->names[self->nnames], LDM_NAME_MAX, tag);
	return self->names[self->nnames++];
}

/* Send a DOMAIN_NEW built by the caller; return the errno. */
static int send_msg(FIXTURE_DATA(nl) *self, struct ldm_msg *m)
{
	return ldm_nl_request(&self->nl, m, NULL, NULL);
}

static struct ldm_msg *new_msg(FIXTURE_DATA(nl) *self, uint8_t cmd)
{
	struct ldm_msg *m = malloc(sizeof(*m));

	if (m)
		ldm_msg_init(m, self->nl.family, 0, cmd, LDM_GENL_VERSION);
	return m;
}

static int node_exists(const char *name)
{
	char path[256];
	struct stat st;

	ldm_node_path(path, sizeof(path), name);
	return stat(path, &st) == 0;
}

/* Is a domain called @name listed by a dump? (1, 0, or -errno) */
static int listed(FIXTURE_DATA(nl) *self, const char *name)
{
	struct ldm_domain_info *infos = calloc(1024, sizeof(*infos));
	size_t i, count;
	int err, found = 0;

	if (!infos)
		return -ENOMEM;
	err = ldm_domain_dump(&self->nl, infos, 1024, &count);
	for (i = 0; !err && i < count && i < 1024; i++)
		if (!strncmp(infos[i].name, name, sizeof(infos[i].name)))
			found = 1;
	free(infos);
	return err ? err : found;
}

/*
 * Expect DOMAIN_NEW(name, size) to be refused with @errnum and a non-empty
 * extack message, and no such domain to appear in a dump.
 */
#define EXPECT_NEW_REFUSED(name, size, errnum) do {			\
	const char *__n = (name);					\
	int __e = ldm_domain_new(&self->nl, __n, (size));		\
									\
	if (__e == 0)							\
		track(self, __n);					\
	EXPECT_EQ(-(errnum), __e)					\
		TH_LOG("DOMAIN_NEW(\"%s\", %llu): got %s, want %s",	\
		       __n, (unsigned long long)(size),			\
		       strerror(-__e), strerror(errnum));		\
	EXPECT_NE(0, self->nl.ext_msg[0])				\
		TH_LOG("DOMAIN_NEW(\"%s\") refused without an extack message", \
		       __n);						\
	EXPECT_EQ(0, listed(self, __n))					\
		TH_LOG("\"%s\" was created anyway", __n);		\
} while (0)

TEST_F(nl, family_resolves_with_version_and_admin_only_ops)
{
	struct ldm_family_info fi;
	int seen_new = 0, seen_del = 0, seen_get = 0;
	unsigned int i;

	ASSERT_EQ(0, ldm_nl_family(&self->nl, LDM_GENL_NAME, &fi));
	EXPECT_EQ(self->nl.family, fi.id);
	EXPECT_EQ(LDM_GENL_VERSION, fi.version);
	ASSERT_GE(fi.nops, 3);
	for (i = 0; i < fi.nops; i++) {
		struct ldm_family_op *op = &fi.ops[i];

		EXPECT_TRUE(op->flags & GENL_ADMIN_PERM)
			TH_LOG("op %u lacks GENL_ADMIN_PERM", op->id);
		switch (op->id) {
		case LDM_CMD_DOMAIN_NEW:
			seen_new = 1;
			EXPECT_TRUE(op->flags & GENL_CMD_CAP_DO);
			break;
		case LDM_CMD_DOMAIN_DEL:
			seen_del = 1;
			EXPECT_TRUE(op->flags & GENL_CMD_CAP_DO);
			break;
		case LDM_CMD_DOMAIN_GET:
			seen_get = 1;
			EXPECT_TRUE(op->flags & GENL_CMD_CAP_DO);
			EXPECT_TRUE(op->flags & GENL_CMD_CAP_DUMP);
			break;
		}
	}
	EXPECT_TRUE(seen_new);
	EXPECT_TRUE(seen_del);
	EXPECT_TRUE(seen_get);
}

TEST_F(nl, create_get_destroy_reports_every_attribute)
{
	const char *name = new_name(self, "life");
	struct ldm_domain_info info;
	char path[256];
	struct stat st;

	ASSERT_EQ(0, ldm_domain_new(&self->nl, name, 256 * self->page))
		TH_LOG("%s", self->nl.ext_msg);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, name, &info))
		TH_LOG("%s", self->nl.ext_msg);
	EXPECT_FALSE(info.malformed);
	EXPECT_EQ(LDM_INFO_ALL_ATTRS, info.present & LDM_INFO_ALL_ATTRS)
		TH_LOG("attributes present: %#llx",
		       (unsigned long long)info.present);
	EXPECT_STREQ(name, info.name);
	EXPECT_EQ(256 * self->page, info.size);
	EXPECT_EQ(self->page, info.page_size);
	EXPECT_EQ(0, info.resident);
	EXPECT_EQ(0, info.dirty);
	EXPECT_EQ(LDM_DOMAIN_STATE_ACTIVE, info.state);
	EXPECT_EQ(0, info.open);
	EXPECT_EQ(0, info.mapped);

	ldm_node_path(path, sizeof(path), name);
	ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
	EXPECT_EQ(info.minor, minor(st.st_rdev));

	ASSERT_EQ(0, ldm_domain_del(&self->nl, name))
		TH_LOG("%s", self->nl.ext_msg);
	EXPECT_EQ(-ENOENT, ldm_domain_get(&self->nl, name, &info));
	EXPECT_NE(0, stat(path, &st));
}

TEST_F(nl, get_unknown_domain_is_enoent_with_message)
{
	struct ldm_domain_info info;

	EXPECT_EQ(-ENOENT, ldm_domain_get(&self->nl, "no-such-domain", &info));
	EXPECT_NE(0, self->nl.ext_msg[0]);
}

TEST_F(nl, destroy_unknown_domain_is_enoent_with_message)
{
	EXPECT_EQ(-ENOENT, ldm_domain_del(&self->nl, "no-such-domain"));
	EXPECT_NE(0, self->nl.ext_msg[0]);
}

TEST_F(nl, get_and_destroy_without_name_are_einval_with_message)
{
	struct ldm_msg *m = new_msg(self, LDM_CMD_DOMAIN_GET);

	ASSERT_NE(NULL, m);
	EXPECT_EQ(-EINVAL, send_msg(self, m));
	EXPECT_NE(0, self->nl.ext_msg[0]);

	ldm_msg_init(m, self->nl.family, 0, LDM_CMD_DOMAIN_DEL,
		     LDM_GENL_VERSION);
	EXPECT_EQ(-EINVAL, send_msg(self, m));
	EXPECT_NE(0, self->nl.ext_msg[0]);
	free(m);
}

TEST_F(nl, create_without_name_is_einval_missing_domain_name)
{
	struct ldm_msg *m = new_msg(self, LDM_CMD_DOMAIN_NEW);

	ASSERT_NE(NULL, m);
	ldm_msg_put_u64(m, LDM_A_DOMAIN_SIZE, 16 * self->page);
	EXPECT_EQ(-EINVAL, send_msg(self, m));
	EXPECT_NE(NULL, strstr(self->nl.ext_msg, "missing domain name"))
		TH_LOG("extack: \"%s\"", self->nl.ext_msg);
	free(m);
}

TEST_F(nl, create_without_size_is_einval_missing_domain_size)
{
	const char *name = new_name(self, "nosize");
	struct ldm_msg *m = new_msg(self, LDM_CMD_DOMAIN_NEW);
	struct ldm_domain_info info;

	ASSERT_NE(NULL, m);
	ldm_msg_put_str(m, LDM_A_DOMAIN_NAME, name);
	EXPECT_EQ(-EINVAL, send_msg(self, m));
	EXPECT_NE(NULL, strstr(self->nl.ext_msg, "missing domain size"))
		TH_LOG("extack: \"%s\"", self->nl.ext_msg);
	EXPECT_EQ(-ENOENT, ldm_domain_get(&self->nl, name, &info));
	free(m);
}

TEST_F(nl, create_with_empty_name_is_einval)
{
	EXPECT_NEW_REFUSED("", 16 * self->page, EINVAL);
}

TEST_F(nl, create_with_name_of_32_bytes_or_more_is_enametoolong)
{
	char name[1100];

	memset(name, 'a', sizeof(name));
	name[LDM_NAME_MAX] = '\0';		/* 32 bytes */
	EXPECT_NEW_REFUSED(name, 16 * self->page, ENAMETOOLONG);
	name[LDM_NAME_MAX] = 'a';
	name[100] = '\0';
	EXPECT_NEW_REFUSED(name, 16 * self->page, ENAMETOOLONG);
	name[100] = 'a';
	name[sizeof(name) - 1] = '\0';
	EXPECT_NEW_REFUSED(name, 16 * self->page, ENAMETOOLONG);
}

TEST_F(nl, create_with_name_of_31_bytes_works_and_makes_its_node)
{
	char name[LDM_NAME_MAX];
	struct ldm_domain_info info;

	/* unique, exactly LDM_NAME_MAX - 1 bytes */
	snprintf(name, sizeof(name), "n%d-", (int)getpid());
	memset(name + strlen(name), 'x', sizeof(name) - strlen(name));
	name[LDM_NAME_MAX - 1] = '\0';
	ASSERT_EQ(LDM_NAME_MAX - 1, strlen(name));
	track(self, name);

	ASSERT_EQ(0, ldm_domain_new(&self->nl, name, 16 * self->page))
		TH_LOG("%s", self->nl.ext_msg);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, name, &info));
	EXPECT_STREQ(name, info.name);
	EXPECT_TRUE(node_exists(name));
}

TEST_F(nl, create_with_slash_in_name_is_einval)
{
	EXPECT_NEW_REFUSED("a/b", 16 * self->page, EINVAL);
	EXPECT_NEW_REFUSED("/", 16 * self->page, EINVAL);
	EXPECT_NEW_REFUSED("../x", 16 * self->page, EINVAL);
	EXPECT_NEW_REFUSED("x/", 16 * self->page, EINVAL);
}

TEST_F(nl, create_with_char_outside_safe_set_is_einval)
{
	static const char *const bad[] = {
		"a b", "a\nb", "a:b", "a*b", "a\\b", "a~b", "a\x7f",
		"\xc3\xa9t\xc3\xa9", "a\tb", "a$b", "a@b", "-\x01",
		/* Latin-1 letters: the kernel's isalnum() says yes to these */
		"caf\xe9", "\xc0", "x\xff", "\xdf",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_NEW_REFUSED(bad[i], 16 * self->page, EINVAL);
}

TEST_F(nl, create_named_dot_or_dotdot_is_einval)
{
	EXPECT_NEW_REFUSED(".", 16 * self->page, EINVAL);
	EXPECT_NEW_REFUSED("..", 16 * self->page, EINVAL);
}

TEST_F(nl, create_with_unusual_but_safe_names_works)
{
	/* only "." and ".." are special: these are plain file names */
	char names[4][LDM_NAME_MAX];
	unsigned int i;

	snprintf(names[0], LDM_NAME_MAX, "...%d", (int)getpid());
	snprintf(names[1], LDM_NAME_MAX, "-%d", (int)getpid());
	snprintf(names[2], LDM_NAME_MAX, "_%d", (int)getpid());
	snprintf(names[3], LDM_NAME_MAX, "Az.09-_%d", (int)getpid());
	for (i = 0; i < 4; i++) {
		track(self, names[i]);
		EXPECT_EQ(0, ldm_domain_new(&self->nl, names[i],
					    16 * self->page))
			TH_LOG("\"%s\": %s", names[i], self->nl.ext_msg);
		EXPECT_TRUE(node_exists(names[i]))
			TH_LOG("no node for \"%s\"", names[i]);
	}
}

TEST_F(nl, unterminated_name_is_refused_or_taken_exactly)
{
	/* NAME is a string: "abc" without its NUL must not pull in bytes
	 * past the attribute (here: the SIZE attribute that follows). */
	char name[LDM_NAME_MAX];
	struct ldm_msg *m = new_msg(self, LDM_CMD_DOMAIN_NEW);
	struct ldm_domain_info info;
	int err;

	ASSERT_NE(NULL, m);
	snprintf(name, sizeof(name), "unterm%d", (int)getpid());
	track(self, name);
	ldm_msg_put(m, LDM_A_DOMAIN_NAME, name, strlen(name));
	ldm_msg_put_u64(m, LDM_A_DOMAIN_SIZE, 16 * self->page);
	err = send_msg(self, m);
	if (err) {
		EXPECT_EQ(-EINVAL, err);
		EXPECT_NE(0, self->nl.ext_msg[0]);
	} else {
		ASSERT_EQ(0, ldm_domain_get(&self->nl, name, &info));
		EXPECT_STREQ(name, info.name);
		EXPECT_TRUE(node_exists(name));
	}
	free(m);
}

TEST_F(nl, create_with_size_zero_is_einval)
{
	EXPECT_NEW_REFUSED(new_name(self, "zero"), 0, EINVAL);
}

TEST_F(nl, create_with_size_not_page_multiple_is_einval)
{
	uint64_t sizes[] = { 1, self->page - 1, self->page + 1,
			     3 * self->page + 512, (1ULL << 30) + 8 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		EXPECT_NEW_REFUSED(new_name(self, "unal"), sizes[i], EINVAL);
}

TEST_F(nl, max_domain_mib_defaults_to_65536_and_is_root_writable)
{
	struct stat st;

	ASSERT_EQ(0, stat(LDM_PARAM_MAX_MIB, &st))
		TH_LOG("%s: %s", LDM_PARAM_MAX_MIB, strerror(errno));
	EXPECT_EQ(65536, read_param(LDM_PARAM_MAX_MIB));
	EXPECT_TRUE(st.st_mode & S_IWUSR);
	EXPECT_FALSE(st.st_mode & (S_IWGRP | S_IWOTH));
}

TEST_F(nl, create_above_max_domain_mib_is_erange)
{
	long long mib = read_param(LDM_PARAM_MAX_MIB);
	uint64_t top;

	ASSERT_GT(mib, 0);
	top = (uint64_t)mib << 20;
	EXPECT_NEW_REFUSED(new_name(self, "big"), top + self->page, ERANGE);
	EXPECT_NEW_REFUSED(new_name(self, "big"), top * 2, ERANGE);
	/* the largest page-aligned u64: no overflow in the size checks */
	EXPECT_NEW_REFUSED(new_name(self, "big"),
			   ~0ULL & ~(uint64_t)(self->page - 1), ERANGE);
	EXPECT_NEW_REFUSED(new_name(self, "big"),
			   1ULL << 63, ERANGE);
}

TEST_F(nl, max_domain_mib_change_takes_effect_at_once)
{
	long long orig = read_param(LDM_PARAM_MAX_MIB);

	ASSERT_GT(orig, 8);
	self->saved_max_mib = orig;
	ASSERT_EQ(0, write_param(LDM_PARAM_MAX_MIB, 8));
	ASSERT_EQ(8, read_param(LDM_PARAM_MAX_MIB));

	/* the limit itself is allowed, one page more is not */
	EXPECT_EQ(0, ldm_domain_new(&self->nl, new_name(self, "lim"), 8 << 20))
		TH_LOG("%s", self->nl.ext_msg);
	EXPECT_NEW_REFUSED(new_name(self, "lim"), (8 << 20) + self->page,
			   ERANGE);

	ASSERT_EQ(0, write_param(LDM_PARAM_MAX_MIB, orig));
	self->saved_max_mib = -1;
	EXPECT_EQ(0, ldm_domain_new(&self->nl, new_name(self, "lim"),
				    (8 << 20) + self->page))
		TH_LOG("%s", self->nl.ext_msg);
}

TEST_F(nl, create_at_the_default_limit_works)
{
	/* 64 GiB on a VM with a few GiB: untouched pages cost nothing */
	const char *name = new_name(self, "top");
	struct ldm_domain_info info;
	long long mib = read_param(LDM_PARAM_MAX_MIB);

	ASSERT_EQ(65536, mib);
	ASSERT_EQ(0, ldm_domain_new(&self->nl, name, (uint64_t)mib << 20))
		TH_LOG("%s", self->nl.ext_msg);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, name, &info));
	EXPECT_EQ((uint64_t)mib << 20, info.size);
	EXPECT_EQ(0, info.resident);
}

TEST_F(nl, raised_max_domain_mib_allows_a_256_gib_domain)
{
	/* the parameter is the only size limit: 256 GiB is a real guest */
	const uint64_t size = 256ULL << 30;
	const char *name = new_name(self, "256g");
	struct ldm_domain_info info;
	long long orig = read_param(LDM_PARAM_MAX_MIB);

	ASSERT_GT(orig, 0);
	self->saved_max_mib = orig;
	ASSERT_EQ(0, write_param(LDM_PARAM_MAX_MIB, size >> 20));
	ASSERT_EQ(0, ldm_domain_new(&self->nl, name, size))
		TH_LOG("%s", self->nl.ext_msg);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, name, &info));
	EXPECT_EQ(size, info.size);
	EXPECT_EQ(0, info.resident);
}

TEST_F(nl, create_existing_name_is_eexist_and_keeps_the_original)
{
	const char *name = new_name(self, "dup");
	struct ldm_domain_info info;
	int err;

	ASSERT_EQ(0, ldm_domain_new(&self->nl, name, 16 * self->page));
	err = ldm_domain_new(&self->nl, name, 32 * self->page);
	EXPECT_EQ(-EEXIST, err);
	EXPECT_NE(0, self->nl.ext_msg[0]);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, name, &info));
	EXPECT_EQ(16 * self->page, info.size);
	EXPECT_TRUE(node_exists(name));
}

TEST_F(nl, name_is_free_again_after_destroy)
{
	const char *name = new_name(self, "again");
	struct ldm_domain_info info;

	ASSERT_EQ(0, ldm_domain_new(&self->nl, name, 16 * self->page));
	ASSERT_EQ(0, ldm_domain_del(&self->nl, name));
	ASSERT_EQ(0, ldm_domain_new(&self->nl, name, 32 * self->page))
		TH_LOG("%s", self->nl.ext_msg);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, name, &info));
	EXPECT_EQ(32 * self->page, info.size);
	EXPECT_TRUE(node_exists(name));
}

/* DOMAIN_NEW with a SIZE attribute of @len bytes. */
static int new_with_size_len(FIXTURE_DATA(nl) *self, const char *name,
			     size_t len)
{
	uint64_t size[2] = { 16 * self->page, 0 };
	struct ldm_msg *m = new_msg(self, LDM_CMD_DOMAIN_NEW);
	int err;

	if (!m)
		return -ENOMEM;
	ldm_msg_put_str(m, LDM_A_DOMAIN_NAME, name);
	ldm_msg_put(m, LDM_A_DOMAIN_SIZE, size, len);
	err = send_msg(self, m);
	free(m);
	return err;
}

TEST_F(nl, size_attribute_of_wrong_length_is_einval_from_policy)
{
	size_t lens[] = { 0, 2, 4, 7, 12, 16 };
	struct ldm_domain_info info;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		const char *name = new_name(self, "len");

		EXPECT_EQ(-EINVAL, new_with_size_len(self, name, lens[i]))
			TH_LOG("SIZE of %zu bytes", lens[i]);
		EXPECT_NE(0, self->nl.ext_msg[0])
			TH_LOG("SIZE of %zu bytes: no extack message", lens[i]);
		EXPECT_EQ(-ENOENT, ldm_domain_get(&self->nl, name, &info));
	}
	/* and the right length works, so the refusals were about length */
	EXPECT_EQ(0, new_with_size_len(self, new_name(self, "len"), 8))
		TH_LOG("%s", self->nl.ext_msg);
}

TEST_F(nl, name_attribute_of_wrong_type_is_einval)
{
	/* 8 name bytes without a NUL, as a u64 would be sent */
	struct ldm_msg *m = new_msg(self, LDM_CMD_DOMAIN_NEW);
	char raw[LDM_NAME_MAX];
	int err;

	ASSERT_NE(NULL, m);
	snprintf(raw, sizeof(raw), "W%07d", (int)getpid() % 10000000);
	ldm_msg_put(m, LDM_A_DOMAIN_NAME, raw, 8);
	ldm_msg_put_u64(m, LDM_A_DOMAIN_SIZE, 16 * self->page);
	err = send_msg(self, m);
	if (err == 0) {
		/* taken as the 8-byte string: the only sane reading */
		struct ldm_domain_info info;

		track(self, raw);
		EXPECT_EQ(0, ldm_domain_get(&self->nl, raw, &info));
		EXPECT_STREQ(raw, info.name);
	} else {
		EXPECT_EQ(-EINVAL, err);
		EXPECT_NE(0, self->nl.ext_msg[0]);
	}
	/* a name attribute of length 0 is always wrong */
	ldm_msg_init(m, self->nl.family, 0, LDM_CMD_DOMAIN_NEW,
		     LDM_GENL_VERSION);
	ASSERT_NE(NULL, ldm_msg_put(m, LDM_A_DOMAIN_NAME, "", 0));
	ldm_msg_put_u64(m, LDM_A_DOMAIN_SIZE, 16 * self->page);
	EXPECT_EQ(-EINVAL, send_msg(self, m));
	EXPECT_NE(0, self->nl.ext_msg[0]);
	free(m);
}

TEST_F(nl, unknown_attribute_is_einval_from_strict_policy)
{
	uint16_t types[] = { LDM_A_MAX + 1, 200, LDM_A_UNSPEC };
	struct ldm_domain_info info;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		const char *name = new_name(self, "unk");
		struct ldm_msg *m = new_msg(self, LDM_CMD_DOMAIN_NEW);

		ASSERT_NE(NULL, m);
		ldm_msg_put_str(m, LDM_A_DOMAIN_NAME, name);
		ldm_msg_put_u64(m, LDM_A_DOMAIN_SIZE, 16 * self->page);
		ldm_msg_put_u32(m, types[i], 1);
		EXPECT_EQ(-EINVAL, send_msg(self, m))
			TH_LOG("attribute type %u", types[i]);
		EXPECT_NE(0, self->nl.ext_msg[0]);
		EXPECT_EQ(-ENOENT, ldm_domain_get(&self->nl, name, &info));
		free(m);
	}
}

TEST_F(nl, attribute_overrunning_the_message_is_einval)
{
	const char *name = new_name(self, "trunc");
	struct ldm_msg *m = new_msg(self, LDM_CMD_DOMAIN_NEW);
	struct ldm_domain_info info;
	struct nlattr *size;

	ASSERT_NE(NULL, m);
	ldm_msg_put_str(m, LDM_A_DOMAIN_NAME, name);
	size = ldm_msg_put_u64(m, LDM_A_DOMAIN_SIZE, 16 * self->page);
	ASSERT_NE(NULL, size);
	size->nla_len += 64;	/* claims bytes the message does not have */
	EXPECT_EQ(-EINVAL, send_msg(self, m));
	EXPECT_EQ(-ENOENT, ldm_domain_get(&self->nl, name, &info));
	free(m);
}

TEST_F(nl, unknown_command_is_eopnotsupp)
{
	struct ldm_msg *m = new_msg(self, LDM_CMD_MAX + 1);

	ASSERT_NE(NULL, m);
	EXPECT_EQ(-EOPNOTSUPP, send_msg(self, m));
	ldm_msg_init(m, self->nl.family, 0, LDM_CMD_UNSPEC, LDM_GENL_VERSION);
	EXPECT_EQ(-EOPNOTSUPP, send_msg(self, m));
	free(m);
}

/* Index of @name in @infos, -1 if absent; *dups gets extra occurrences. */
static int find_info(const struct ldm_domain_info *infos, size_t n,
		     const char *name, int *dups)
{
	int found = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(infos[i].name, name))
			continue;
		if (found >= 0)
			(*dups)++;
		else
			found = i;
	}
	return found;
}

#define DUMP_MAX	1024

TEST_F(nl, dump_lists_every_domain_exactly_once_as_get_does)
{
	struct ldm_domain_info *infos = calloc(DUMP_MAX, sizeof(*infos));
	const char *names[5];
	size_t count;
	int i, dups = 0;

	ASSERT_NE(NULL, infos);
	for (i = 0; i < 5; i++) {
		names[i] = new_name(self, "dump");
		ASSERT_EQ(0, ldm_domain_new(&self->nl, names[i],
					    (i + 1) * 8 * self->page));
	}
	ASSERT_EQ(0, ldm_domain_dump(&self->nl, infos, DUMP_MAX, &count))
		TH_LOG("%s", self->nl.ext_msg);
	ASSERT_LE(count, DUMP_MAX);
	for (i = 0; i < 5; i++) {
		struct ldm_domain_info get;
		int k = find_info(infos, count, names[i], &dups);

		ASSERT_GE(k, 0) TH_LOG("%s missing from the dump", names[i]);
		ASSERT_EQ(0, ldm_domain_get(&self->nl, names[i], &get));
		EXPECT_EQ(LDM_INFO_ALL_ATTRS,
			  infos[k].present & LDM_INFO_ALL_ATTRS);
		EXPECT_FALSE(infos[k].malformed);
		EXPECT_EQ(get.size, infos[k].size);
		EXPECT_EQ((uint64_t)(i + 1) * 8 * self->page, infos[k].size);
		EXPECT_EQ(get.page_size, infos[k].page_size);
		EXPECT_EQ(get.minor, infos[k].minor);
		EXPECT_EQ(get.state, infos[k].state);
		EXPECT_EQ(get.resident, infos[k].resident);
		EXPECT_EQ(get.dirty, infos[k].dirty);
	}
	EXPECT_EQ(0, dups);

	/* destroyed domains leave the dump */
	ASSERT_EQ(0, ldm_domain_del(&self->nl, names[1]));
	ASSERT_EQ(0, ldm_domain_del(&self->nl, names[3]));
	ASSERT_EQ(0, ldm_domain_dump(&self->nl, infos, DUMP_MAX, &count));
	for (i = 0; i < 5; i++) {
		int k = find_info(infos, count, names[i], &dups);

		if (i == 1 || i == 3) {
			EXPECT_EQ(-1, k) TH_LOG("%s still dumped", names[i]);
		} else {
			EXPECT_GE(k, 0) TH_LOG("%s missing", names[i]);
		}
	}
	EXPECT_EQ(0, dups);
	free(infos);
}

#define MANY	100

TEST_F_TIMEOUT(nl, dump_over_several_messages_resumes_without_loss_or_dup, 300)
{
	struct ldm_domain_info *infos = calloc(DUMP_MAX, sizeof(*infos));
	struct ldm_nl small;
	const char *names[MANY];
	size_t count;
	int i, dups = 0;

	ASSERT_NE(NULL, infos);
	for (i = 0; i < MANY; i++) {
		names[i] = new_name(self, "many");
		ASSERT_EQ(0, ldm_domain_new(&self->nl, names[i],
					    (i + 1) * self->page))
			TH_LOG("domain %d: %s", i, self->nl.ext_msg);
	}
	/* a fresh socket only ever read with small buffers: the kernel then
	 * fills each dump message only up to about a page (it sizes them
	 * by the largest buffer the socket was read with so far) */
	ASSERT_EQ(0, ldm_nl_open(&small));
	small.rcvlen = 4096;
	ASSERT_EQ(0, ldm_nl_resolve(&small, LDM_GENL_NAME, &small.family));
	ASSERT_EQ(0, ldm_domain_dump(&small, infos, DUMP_MAX, &count))
		TH_LOG("%s", small.ext_msg);
	TH_LOG("%zu domains in %u datagrams", count, small.batches);
	EXPECT_GE(small.batches, 3)
		TH_LOG("the dump fit in too few messages to test resuming");
	for (i = 0; i < MANY; i++) {
		int k = find_info(infos, count, names[i], &dups);

		EXPECT_GE(k, 0) TH_LOG("%s missing from the dump", names[i]);
		if (k >= 0) {
			EXPECT_EQ((uint64_t)(i + 1) * self->page,
				  infos[k].size);
		}
	}
	EXPECT_EQ(0, dups);
	ldm_nl_close(&small);
	free(infos);
}

struct perm_result {
	int open_err;
	int new_err;
	int get_err;
	int del_err;
	int dump_err;
};

static void try_every_op(void *res, void *arg)
{
	struct perm_result *r = res;
	const char *victim = arg;
	struct ldm_domain_info info;
	struct ldm_nl nl;
	size_t count;
	char name[LDM_NAME_MAX];

	r->open_err = ldm_nl_open_ldm(&nl);
	if (r->open_err)
		return;
	snprintf(name, sizeof(name), "%.20s-x", victim);
	r->new_err = ldm_domain_new(&nl, name, 16 * page_size());
	r->get_err = ldm_domain_get(&nl, victim, &info);
	r->del_err = ldm_domain_del(&nl, victim);
	r->dump_err = ldm_domain_dump(&nl, &info, 1, &count);
	ldm_nl_close(&nl);
}

static void check_every_op_eperm(struct __test_metadata *_metadata,
				 FIXTURE_DATA(nl) *self, int (*drop)(void))
{
	const char *victim = new_name(self, "perm");
	struct perm_result r = { 1, 1, 1, 1, 1 };
	struct ldm_domain_info info;
	char spawned[LDM_NAME_MAX];

	ASSERT_EQ(0, ldm_domain_new(&self->nl, victim, 16 * page_size()));
	snprintf(spawned, sizeof(spawned), "%.20s-x", victim);
	track(self, spawned);

	ASSERT_EQ(0, run_in_child(drop, try_every_op, &r, sizeof(r),
				  (void *)victim));
	ASSERT_EQ(0, r.open_err) TH_LOG("an unprivileged process must still "
				       "resolve the family: %s",
				       strerror(-r.open_err));
	EXPECT_EQ(-EPERM, r.new_err);
	EXPECT_EQ(-EPERM, r.get_err);
	EXPECT_EQ(-EPERM, r.del_err);
	EXPECT_EQ(-EPERM, r.dump_err);
	/* and nothing happened */
	EXPECT_EQ(0, ldm_domain_get(&self->nl, victim, &info));
	EXPECT_EQ(-ENOENT, ldm_domain_get(&self->nl, spawned, &info));
}

TEST_F(nl, nobody_gets_eperm_for_every_op)
{
	check_every_op_eperm(_metadata, self, drop_to_nobody);
}

TEST_F(nl, root_without_cap_net_admin_gets_eperm_for_every_op)
{
	check_every_op_eperm(_metadata, self, drop_cap_net_admin);
}

/* Racing creates of one name: exactly one wins, the rest get EEXIST. */
#define RACERS	4
#define ROUNDS	40

struct racer {
	pthread_barrier_t *start;
	const char *name;
	uint64_t size;
	int err;
};

static void *race_create(void *p)
{
	struct racer *r = p;
	struct ldm_nl nl;

	r->err = ldm_nl_open_ldm(&nl);
	pthread_barrier_wait(r->start);
	if (!r->err)
		r->err = ldm_domain_new(&nl, r->name, r->size);
	ldm_nl_close(&nl);
	return NULL;
}

TEST_F_TIMEOUT(nl, racing_creates_of_one_name_make_exactly_one, 120)
{
	struct racer r[RACERS];
	pthread_t th[RACERS];
	pthread_barrier_t start;
	int round, i;

	for (round = 0; round < ROUNDS; round++) {
		const char *name = new_name(self, "race");
		struct ldm_domain_info info;
		int won = 0, lost = 0;

		ASSERT_EQ(0, pthread_barrier_init(&start, NULL, RACERS));
		for (i = 0; i < RACERS; i++) {
			r[i] = (struct racer){ &start, name,
					       (i + 1) * self->page, 1 };
			ASSERT_EQ(0, pthread_create(&th[i], NULL, race_create,
						    &r[i]));
		}
		for (i = 0; i < RACERS; i++) {
			pthread_join(th[i], NULL);
			won += r[i].err == 0;
			lost += r[i].err == -EEXIST;
		}
		pthread_barrier_destroy(&start);
		ASSERT_EQ(1, won) TH_LOG("round %d", round);
		ASSERT_EQ(RACERS - 1, lost) TH_LOG("round %d", round);
		/* the winner's size, and one node */
		ASSERT_EQ(0, ldm_domain_get(&self->nl, name, &info));
		for (i = 0; i < RACERS; i++) {
			if (r[i].err == 0) {
				EXPECT_EQ((i + 1) * self->page, info.size);
			}
		}
		ASSERT_EQ(0, ldm_domain_del(&self->nl, name));
		EXPECT_FALSE(node_exists(name));
	}
}

TEST_F_TIMEOUT(nl, full_domain_table_is_enospc_until_a_domain_goes, 300)
{
	const char *last = NULL, *name;
	struct ldm_domain_info info;
	int i, err = 0, made = 0;

	for (i = 0; i < 4096 && self->nnames < MAX_TRACKED - 2; i++) {
		name = new_name(self, "full");
		err = ldm_domain_new(&self->nl, name, self->page);
		if (err)
			break;
		last = name;
		made++;
	}
	TH_LOG("%d domains made before: %s", made, strerror(-err));
	ASSERT_EQ(-ENOSPC, err);
	EXPECT_NE(0, self->nl.ext_msg[0]);
	EXPECT_EQ(-ENOENT, ldm_domain_get(&self->nl, name, &info));
	ASSERT_NE(NULL, last);

	/* one destroyed, one more fits, with a working node */
	ASSERT_EQ(0, ldm_domain_del(&self->nl, last));
	name = new_name(self, "full");
	ASSERT_EQ(0, ldm_domain_new(&self->nl, name, self->page))
		TH_LOG("%s", self->nl.ext_msg);
	EXPECT_TRUE(node_exists(name));
	EXPECT_EQ(-ENOSPC, ldm_domain_new(&self->nl, new_name(self, "full"),
					  self->page));
}

TEST_HARNESS_MAIN
