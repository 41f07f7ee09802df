# SPDX-License-Identifier: GPL-2.0-only
#
# This file serves two readers.  Inside a kernel build (kbuild defines
# $(srctree)) it is the kbuild makefile of this directory.  Run by hand at
# the top of the repository it forwards the developer targets (run, test,
# compat, ...)
# to the harness in tools/.

ifneq ($(srctree),)

# dma-buf core, by concern: export and lifetime, the fd and its uAPI,
# attach and map, CPU access, debugfs bufinfo (and sysfs stats below)
obj-y := dma-buf.o dma-buf-file.o dma-buf-attach.o dma-buf-cpu.o \
	 dma-fence.o dma-fence-array.o dma-fence-chain.o \
	 dma-fence-unwrap.o dma-resv.o
obj-$(CONFIG_DEBUG_FS)		+= dma-buf-debugfs.o
obj-$(CONFIG_DMA_FENCE_DEBUG_HANG) += dma-fence-hang.o
obj-$(CONFIG_DMABUF_HEAPS)	+= dma-heap.o heaps/
obj-$(CONFIG_SYNC_FILE)		+= sync_file.o
obj-$(CONFIG_SW_SYNC)		+= sw_sync.o sync_debug.o
# sync_trace.h's TRACE_INCLUDE_PATH is this directory
CFLAGS_sw_sync.o		:= -I$(src)
obj-$(CONFIG_UDMABUF)		+= udmabuf.o
obj-$(CONFIG_DMABUF_SYSFS_STATS) += dma-buf-sysfs-stats.o
# selftests/: our KUnit suites and the dmabuf_selftests module
obj-$(CONFIG_DMABUF_KUNIT_TEST)	+= selftests/
obj-$(CONFIG_DMABUF_SELFTESTS)	+= selftests/

else

.DEFAULT_GOAL := test
%:
	@$(MAKE) --no-print-directory -C tools $@

endif
