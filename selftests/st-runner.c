// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Runner of the dmabuf_selftests module (CONFIG_DMABUF_SELFTESTS).
 */

/**
 * DOC: dmabuf_selftests
 *
 * In-kernel tests of dma-fence, its chain and unwrap helpers and dma-resv,
 * with the module interface that IGT's ``dmabuf`` test drives:
 *
 * - module ``dmabuf_selftests``; one bool parameter per group, named
 *   ``igt__<N>__<group>``, where the numbers give the order (IGT sorts by
 *   them and loads the module once per parameter, ``<param>=1``). The
 *   groups are sanitycheck (12), dma_fence (13), dma_fence_chain (14),
 *   dma_fence_unwrap (15) and dma_resv (16);
 * - with no group parameter set every group runs; the enabled groups run
 *   in that order and the first failing one stops the run. Module init
 *   returns its error, so the load fails and the loader sees it;
 * - ``st_filter``: a comma-separated list of ``[!][<group>/]<subtest>``
 *   patterns. The first pattern that matches a subtest decides (``!``
 *   skips it); a subtest no pattern matches runs only if the list has no
 *   positive pattern. Empty patterns are ignored;
 * - log lines ``dma-buf: Running <group>`` and ``dma-buf: Running
 *   <group>/<subtest>`` (info), and for a failure ``dma-buf/<group>:
 *   <subtest> failed with error <errno>`` (err);
 * - a pending signal stops a group with -EINTR; a subtest returning
 *   -EINTR is not counted as failed.
 *
 * Built in, the module runs every group once at initcall time.
 *
 * Example: ``insmod dmabuf_selftests.ko igt__16__dma_resv=1
 * st_filter=!dma_resv/resv_wait_timeout``.
 */

#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>

#include "dmabuf-st.h"

/* No subtests: IGT loads it first to see that loading works at all. */
static const struct dmabuf_st_group st_sanitycheck = { .name = "sanitycheck" };

/* In parameter order (igt__12__ ... igt__16__). */
static const struct dmabuf_st_group *const st_groups[] = {
	&st_sanitycheck,
	&dmabuf_st_dma_fence,
	&dmabuf_st_dma_fence_chain,
	&dmabuf_st_dma_fence_unwrap,
	&dmabuf_st_dma_resv,
};

static bool st_enabled[ARRAY_SIZE(st_groups)];
static char *st_filter;

module_param_named(igt__12__sanitycheck, st_enabled[0], bool, 0400);
MODULE_PARM_DESC(igt__12__sanitycheck, "Run the sanitycheck group");
module_param_named(igt__13__dma_fence, st_enabled[1], bool, 0400);
MODULE_PARM_DESC(igt__13__dma_fence, "Run the dma_fence group");
module_param_named(igt__14__dma_fence_chain, st_enabled[2], bool, 0400);
MODULE_PARM_DESC(igt__14__dma_fence_chain, "Run the dma_fence_chain group");
module_param_named(igt__15__dma_fence_unwrap, st_enabled[3], bool, 0400);
MODULE_PARM_DESC(igt__15__dma_fence_unwrap, "Run the dma_fence_unwrap group");
module_param_named(igt__16__dma_resv, st_enabled[4], bool, 0400);
MODULE_PARM_DESC(igt__16__dma_resv, "Run the dma_resv group");
module_param(st_filter, charp, 0400);
MODULE_PARM_DESC(st_filter,
		 "Subtests to run: comma-separated [!][group/]subtest patterns");

/* Does the pattern @pat (@len bytes, no '!') name @subtest of @group? */
static bool st_pattern_matches(const char *pat, size_t len, const char *group,
			       const char *subtest)
{
	const char *slash = memchr(pat, '/', len);

	if (slash) {
		size_t glen = slash - pat;

		if (glen != strlen(group) || strncmp(pat, group, glen))
			return false;
		len -= glen + 1;
		pat = slash + 1;
	}
	return len == strlen(subtest) && !strncmp(pat, subtest, len);
}

/* The st_filter verdict for one subtest; see the DOC above. */
static bool st_wanted(const char *group, const char *subtest)
{
	const char *p = st_filter;
	bool any_positive = false;

	while (p && *p) {
		size_t len = strcspn(p, ",");
		const char *next = p[len] ? p + len + 1 : p + len;
		bool skip = *p == '!';

		if (skip) {
			p++;
			len--;
		}
		if (len) {
			if (st_pattern_matches(p, len, group, subtest))
				return !skip;
			any_positive |= !skip;
		}
		p = next;
	}
	return !any_positive;
}

static int st_run_group(const struct dmabuf_st_group *grp)
{
	const struct dmabuf_st_case *c;
	int err;

	for (c = grp->cases; c < grp->cases + grp->count; c++) {
		cond_resched();
		if (signal_pending(current))
			return -EINTR;
		if (!st_wanted(grp->name, c->name))
			continue;

		pr_info("dma-buf: Running %s/%s\n", grp->name, c->name);
		err = c->run();
		if (!err || err == -EINTR)
			err = dmabuf_st_settle();
		if (err && err != -EINTR) {
			pr_err("dma-buf/%s: %s failed with error %d\n",
			       grp->name, c->name, err);
			return err;
		}
	}
	return 0;
}

static int __init dmabuf_st_init(void)
{
	bool any = false;
	unsigned int i;
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(st_groups); i++)
		any |= st_enabled[i];

	for (i = 0; i < ARRAY_SIZE(st_groups); i++) {
		if (any && !st_enabled[i])
			continue;
		pr_info("dma-buf: Running %s\n", st_groups[i]->name);
		err = st_run_group(st_groups[i]);
		if (!err)
			continue;
		/* Positive values and -ENOTTY mean something else to a loader. */
		if (WARN(err > 0 || err == -ENOTTY,
			 "dma-buf selftest group %s returned %d\n",
			 st_groups[i]->name, err))
			err = -EPERM;
		break;
	}
	return err;
}

static void __exit dmabuf_st_exit(void)
{
}

module_init(dmabuf_st_init);
module_exit(dmabuf_st_exit);

MODULE_DESCRIPTION("In-kernel tests of dma-fence, dma-fence-chain, dma-fence-unwrap and dma-resv");
MODULE_LICENSE("GPL and additional rights");
