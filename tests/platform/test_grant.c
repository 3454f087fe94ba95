/* SPDX-License-Identifier: MIT */
/*
 * Grants of the local platform: a page shared by one process and mapped by a guest
 * process (data both ways), unshare refused while mapped, read-only grants (no writable
 * mapping, not even by mprotect), mapping only as the grantee, the grant table limit
 * (256 per domain by default) and the host-wide grant fd budget, a granter that goes
 * away while its page is mapped, and a stale mapping of a destroyed domain's grant that
 * must not touch the grant of a new domain reusing the domid.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "harness.h"

static int fx_start_cfg(void **state, const struct pvpci_host_config *cfg)
{
	return th_fx_start(state, cfg, false, 2);
}

static int fx_start(void **state, unsigned max_grants)
{
	struct pvpci_host_config cfg = { .max_grants = max_grants };

	return fx_start_cfg(state, &cfg);
}

static int setup(void **state) { return fx_start(state, 0); }
static int setup_small(void **state) { return fx_start(state, 4); }

/* Guest ids 1 and 2 only: the next domain after g2 reuses a destroyed g1's id. */
static int setup_wrap(void **state)
{
	struct pvpci_host_config cfg = { .max_domid = 2 };

	return fx_start_cfg(state, &cfg);
}

/* Six grants in the whole host. */
static int setup_budget(void **state)
{
	struct pvpci_host_config cfg = { .max_grant_fds = 6 };

	return fx_start_cfg(state, &cfg);
}

struct guest_args {
	const struct tc_host *h;
	unsigned domid;
	int in, out;
};

/* Guest process: map the page dom0 sends, check its pattern, answer in it, unmap when
 * told. */
static int guest_mapper(void *arg)
{
	struct guest_args *a = arg;
	struct pvpci_platform *p = th_open(a->h, a->domid, false);
	uint32_t gref, cmd;
	void *addr;

	TC_CHECK(p);
	TC_CHECK(tc_recv(a->in, &gref, 5000) == 0);
	TC_CHECK_EQ(pvpci_gnt_map(p, 0, gref, 0, &addr), 0);
	const uint8_t *b = addr;
	for (unsigned i = 0; i < 64; i++)
		TC_CHECK_EQ(b[i], (uint8_t)(i * 7));
	memcpy((char *)addr + 100, "from the guest", 15);
	TC_CHECK(tc_send(a->out, 1) == 0);
	TC_CHECK(tc_recv(a->in, &cmd, 5000) == 0);
	TC_CHECK_EQ(pvpci_gnt_unmap(p, addr), 0);
	TC_CHECK_EQ(pvpci_gnt_unmap(p, addr), -EINVAL);
	TC_CHECK(tc_send(a->out, 2) == 0);
	pvpci_platform_close(p);
	return 0;
}

static void test_share_map_across_processes(void **state)
{
	struct th_fx *f = *state;
	int to[2], from[2];
	void *page;
	uint32_t gref, ack;

	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	assert_int_equal(pvpci_gnt_share(f->d0, f->g1, false, &page, &gref), 0);
	assert_true(gref >= 8);
	for (unsigned i = 0; i < 64; i++)
		((uint8_t *)page)[i] = (uint8_t)(i * 7);
	struct guest_args g = { &f->h, f->g1, to[0], from[1] };
	pid_t pid = tc_spawn(guest_mapper, &g);
	assert_int_equal(tc_send(to[1], gref), 0);
	assert_int_equal(tc_recv(from[0], &ack, 5000), 0);
	assert_string_equal((char *)page + 100, "from the guest");
	assert_int_equal(pvpci_gnt_unshare(f->d0, gref), -EBUSY); /* mapped */
	assert_int_equal(tc_send(to[1], 0), 0);
	assert_int_equal(tc_recv(from[0], &ack, 5000), 0);
	assert_int_equal(pvpci_gnt_unshare(f->d0, gref), 0);
	assert_int_equal(pvpci_gnt_unshare(f->d0, gref), -ENOENT);
	assert_int_equal(tc_join(pid, 10000), 0);
	for (int i = 0; i < 2; i++) {
		close(to[i]);
		close(from[i]);
	}
}

/* Guest process: a read-only grant maps read-only only. */
static int guest_ro(void *arg)
{
	struct guest_args *a = arg;
	struct pvpci_platform *p = th_open(a->h, a->domid, false);
	uint32_t gref;
	void *addr;

	TC_CHECK(p);
	TC_CHECK(tc_recv(a->in, &gref, 5000) == 0);
	TC_CHECK_EQ(pvpci_gnt_map(p, 0, gref, 0, &addr), -EACCES);
	TC_CHECK_EQ(pvpci_gnt_map(p, 0, gref, PVPCI_GNT_MAP_RO, &addr), 0);
	TC_CHECK_EQ(((const uint8_t *)addr)[0], 0xa5);
	TC_CHECK(mprotect(addr, PVPCI_PAGE_SIZE, PROT_READ | PROT_WRITE) < 0);
	TC_CHECK_EQ(errno, EACCES);
	TC_CHECK_EQ(pvpci_gnt_unmap(p, addr), 0);
	pvpci_platform_close(p);
	return 0;
}

static void test_readonly_grant_maps_readonly_only(void **state)
{
	struct th_fx *f = *state;
	int to[2];
	void *page;
	uint32_t gref;

	assert_int_equal(pipe(to), 0);
	assert_int_equal(pvpci_gnt_share(f->d0, f->g1, true, &page, &gref), 0);
	((uint8_t *)page)[0] = 0xa5;
	struct guest_args g = { &f->h, f->g1, to[0], -1 };
	pid_t pid = tc_spawn(guest_ro, &g);
	assert_int_equal(tc_send(to[1], gref), 0);
	assert_int_equal(tc_join(pid, 10000), 0);
	assert_int_equal(pvpci_gnt_unshare(f->d0, gref), 0);
	close(to[0]);
	close(to[1]);
}

/* Guest process g2: a page granted to g1 is not for it. */
static int guest_intruder(void *arg)
{
	struct guest_args *a = arg;
	struct pvpci_platform *p = th_open(a->h, a->domid, false);
	uint32_t gref;
	void *addr = NULL;

	TC_CHECK(p);
	TC_CHECK(tc_recv(a->in, &gref, 5000) == 0);
	TC_CHECK_EQ(pvpci_gnt_map(p, 0, gref, PVPCI_GNT_MAP_RO, &addr), -EACCES);
	TC_CHECK_EQ(pvpci_gnt_map(p, 0, gref, 0, &addr), -EACCES);
	TC_CHECK_EQ(pvpci_gnt_map(p, 0, gref + 1, 0, &addr), -ENOENT);
	TC_CHECK_EQ(pvpci_gnt_map(p, 0, 3, 0, &addr), -ENOENT); /* reserved */
	TC_CHECK_EQ(pvpci_gnt_map(p, 555, gref, 0, &addr), -ESRCH);
	TC_CHECK(addr == NULL);
	/* nor can it end someone else's grant */
	TC_CHECK_EQ(pvpci_gnt_unshare(p, gref), -ENOENT);
	pvpci_platform_close(p);
	return 0;
}

static void test_only_the_grantee_maps(void **state)
{
	struct th_fx *f = *state;
	int to[2];
	void *page;
	uint32_t gref;

	assert_int_equal(pipe(to), 0);
	assert_int_equal(pvpci_gnt_share(f->d0, f->g1, false, &page, &gref), 0);
	struct guest_args g = { &f->h, f->g2, to[0], -1 };
	pid_t pid = tc_spawn(guest_intruder, &g);
	assert_int_equal(tc_send(to[1], gref), 0);
	assert_int_equal(tc_join(pid, 10000), 0);
	/* the control domain is no grantee either */
	void *addr;
	assert_int_equal(pvpci_gnt_map(f->d0, 0, gref, 0, &addr), -EACCES);
	assert_int_equal(pvpci_gnt_share(f->d0, 999, false, &page, &gref), -ESRCH);
	close(to[0]);
	close(to[1]);
}

static void test_guest_shares_with_backend(void **state)
{
	struct th_fx *f = *state;
	struct pvpci_platform *g = th_open(&f->h, f->g1, false);
	void *page, *addr;
	uint32_t gref;

	assert_non_null(g);
	assert_int_equal(pvpci_gnt_share(g, 0, false, &page, &gref), 0);
	strcpy(page, "frontend page");
	assert_int_equal(pvpci_gnt_map(f->d0, f->g1, gref, 0, &addr), 0);
	assert_string_equal(addr, "frontend page");
	strcpy(addr, "backend answer");
	assert_string_equal(page, "backend answer");
	assert_int_equal(pvpci_gnt_unmap(f->d0, addr), 0);
	assert_int_equal(pvpci_gnt_unshare(g, gref), 0);
	pvpci_platform_close(g);
}

static void test_grant_table_limit(void **state)
{
	struct th_fx *f = *state;
	void *page[5];
	uint32_t gref[5];

	for (int i = 0; i < 4; i++)
		assert_int_equal(pvpci_gnt_share(f->d0, f->g1, false, &page[i], &gref[i]), 0);
	assert_int_equal(pvpci_gnt_share(f->d0, f->g1, false, &page[4], &gref[4]), -ENOSPC);
	assert_int_equal(pvpci_gnt_unshare(f->d0, gref[2]), 0);
	assert_int_equal(pvpci_gnt_share(f->d0, f->g1, false, &page[4], &gref[4]), 0);
	assert_int_equal(gref[4], gref[2]);
}

static void test_granter_gone_leaves_mapping_valid(void **state)
{
	struct th_fx *f = *state;
	struct pvpci_platform *g = th_open(&f->h, f->g1, false);
	void *page, *addr, *again;
	uint32_t gref;

	assert_non_null(g);
	assert_int_equal(pvpci_gnt_share(g, 0, false, &page, &gref), 0);
	strcpy(page, "still here");
	assert_int_equal(pvpci_gnt_map(f->d0, f->g1, gref, 0, &addr), 0);
	pvpci_platform_close(g);
	assert_string_equal(addr, "still here");
	assert_int_equal(pvpci_gnt_map(f->d0, f->g1, gref, 0, &again), -ENOENT); /* ended */
	assert_int_equal(pvpci_gnt_unmap(f->d0, addr), 0);
}

/* The default table: 256 grants per domain, each domain its own table. */
static void test_default_grant_limit_per_domain(void **state)
{
	struct th_fx *f = *state;
	struct pvpci_platform *g = th_open(&f->h, f->g1, false);
	void *page;
	uint32_t gref, first = 0;

	assert_non_null(g);
	for (unsigned i = 0; i < 256; i++) {
		assert_int_equal(pvpci_gnt_share(f->d0, f->g1, false, &page, &gref), 0);
		if (i == 100)
			first = gref;
	}
	assert_int_equal(pvpci_gnt_share(f->d0, f->g1, false, &page, &gref), -ENOSPC);
	assert_int_equal(pvpci_gnt_share(f->d0, f->g2, true, &page, &gref), -ENOSPC);
	/* the guest's table is its own */
	assert_int_equal(pvpci_gnt_share(g, 0, false, &page, &gref), 0);
	assert_int_equal(pvpci_gnt_unshare(g, gref), 0);
	/* a freed slot is reusable */
	assert_int_equal(pvpci_gnt_unshare(f->d0, first), 0);
	assert_int_equal(pvpci_gnt_share(f->d0, f->g1, false, &page, &gref), 0);
	assert_int_equal(gref, first);
	pvpci_platform_close(g);
}

/* max_grant_fds bounds the grants of all domains together; ended grants still mapped
 * count, a destroyed domain's grants are returned at once. */
static void test_host_grant_fd_budget(void **state)
{
	struct th_fx *f = *state;
	struct pvpci_platform *g = th_open(&f->h, f->g1, false);
	void *page, *addr;
	uint32_t gref[4], gg[2], spare;

	assert_non_null(g);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pvpci_gnt_share(f->d0, f->g1, false, &page, &gref[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pvpci_gnt_share(g, 0, false, &page, &gg[i]), 0);
	assert_int_equal(pvpci_gnt_share(f->d0, f->g2, false, &page, &spare), -ENOSPC);
	assert_int_equal(pvpci_gnt_share(g, 0, false, &page, &spare), -ENOSPC);
	/* one back: the guest may share again */
	assert_int_equal(pvpci_gnt_unshare(f->d0, gref[3]), 0);
	assert_int_equal(pvpci_gnt_share(g, 0, false, &page, &spare), 0);
	assert_int_equal(pvpci_gnt_share(f->d0, f->g1, false, &page, &spare), -ENOSPC);
	/* the guest's three grants, one mapped by dom0, end with the domain */
	assert_int_equal(pvpci_gnt_map(f->d0, f->g1, gg[0], 0, &addr), 0);
	assert_int_equal(pvpci_domain_destroy(f->d0, f->g1), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pvpci_gnt_share(f->d0, f->g2, false, &page, &spare), 0);
	assert_int_equal(pvpci_gnt_share(f->d0, f->g2, false, &page, &spare), -ENOSPC);
	assert_int_equal(pvpci_gnt_unmap(f->d0, addr), 0);
	pvpci_platform_close(g);
}

/* A mapping of a destroyed domain's grant is stale: its unmap must not lower the count
 * of the same gref granted by a new domain that got the same domid. */
static void test_stale_mapping_after_domid_reuse(void **state)
{
	struct th_fx *f = *state;
	struct pvpci_platform *old = th_open(&f->h, f->g1, false);
	struct pvpci_platform *d0b = th_open(&f->h, 0, false);
	void *page, *old_addr, *new_addr;
	uint32_t gref, gref2;
	unsigned g3;

	assert_non_null(old);
	assert_non_null(d0b);
	assert_int_equal(pvpci_gnt_share(old, 0, false, &page, &gref), 0);
	strcpy(page, "old domain");
	assert_int_equal(pvpci_gnt_map(f->d0, f->g1, gref, 0, &old_addr), 0);
	assert_int_equal(pvpci_domain_destroy(f->d0, f->g1), 0);
	pvpci_platform_close(old);
	assert_string_equal(old_addr, "old domain"); /* still valid until unmapped */

	/* from another handle: a request on d0's connection could be served in the loop
	 * pass of the destroy, whose domain is freed (and its id free) only after it */
	assert_int_equal(pvpci_domain_create(d0b, "g3", &g3), 0);
	assert_int_equal(g3, f->g1); /* the id wrapped and was reused */
	struct pvpci_platform *fresh = th_open(&f->h, g3, false);
	assert_non_null(fresh);
	assert_int_equal(pvpci_gnt_share(fresh, 0, false, &page, &gref2), 0);
	assert_int_equal(gref2, gref);
	strcpy(page, "new domain");
	assert_int_equal(pvpci_gnt_map(d0b, g3, gref2, 0, &new_addr), 0);
	assert_string_equal(new_addr, "new domain");

	assert_int_equal(pvpci_gnt_unmap(f->d0, old_addr), 0);
	assert_int_equal(pvpci_gnt_unshare(fresh, gref2), -EBUSY); /* d0b still maps it */
	assert_int_equal(pvpci_gnt_unmap(d0b, new_addr), 0);
	assert_int_equal(pvpci_gnt_unshare(fresh, gref2), 0);
	pvpci_platform_close(fresh);
	pvpci_platform_close(d0b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_share_map_across_processes, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_readonly_grant_maps_readonly_only, setup,
						th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_only_the_grantee_maps, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_guest_shares_with_backend, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_grant_table_limit, setup_small, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_granter_gone_leaves_mapping_valid, setup,
						th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_default_grant_limit_per_domain, setup,
						th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_host_grant_fd_budget, setup_budget,
						th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_stale_mapping_after_domid_reuse,
						setup_wrap, th_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
