// SPDX-License-Identifier: GPL-2.0-only
/*
 * The binary interface of the dma-buf uAPI headers: every ioctl number,
 * every flag and constant, and every struct's size, alignment and field
 * offsets.  Never run: like kbuild's asm-offsets, it is only compiled
 * (gcc -S), once against pristine 6.12's exported headers and once against
 * ours, for 64-bit and for -m32, and tools/abi/abi_layout.sh reads the
 * values out of the assembly; the results must match byte for byte.  A
 * field renamed or removed in our headers fails the compile, which fails
 * the check just as well.
 *
 * Each value is an "i" operand of an asm statement that only emits an
 * .ascii line "->KIND NAME VALUE...".  Values are split in 32-bit halves,
 * which the reader recombines, so that the assembler's signed printing of
 * immediates never matters.
 */
#include <stddef.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/sync_file.h>
#include <linux/udmabuf.h>

#define U32(v)		((unsigned int)(v))
#define HI32(v)		U32((unsigned long long)(v) >> 32)
#define MARK(text, ...)	asm volatile("\n.ascii \"->" text "\"" :: __VA_ARGS__)

#define SECTION(h)	MARK("section " h)
#define CONST(c)	MARK("const " #c " %c0 %c1", "i"(HI32(c)), "i"(U32(c)))
#define STRUCT(s)	MARK("struct " #s " %c0 %c1", "i"(U32(sizeof(struct s))), \
			     "i"(U32(_Alignof(struct s))))
#define FIELD(s, f)	MARK("field " #s " " #f " %c0 %c1", \
			     "i"(U32(offsetof(struct s, f))), \
			     "i"(U32(sizeof(((struct s *)0)->f))))
#define ELEM(s, f)	MARK("elem " #s " " #f " %c0 %c1", \
			     "i"(U32(offsetof(struct s, f))), \
			     "i"(U32(sizeof(((struct s *)0)->f[0]))))

int main(void)
{
	MARK("abi %c0", "i"(U32(sizeof(long) * 8)));

	/* Section markers: the harness reports each header as its own case. */
	SECTION("linux/dma-buf.h");
	STRUCT(dma_buf_sync);
	FIELD(dma_buf_sync, flags);
	STRUCT(dma_buf_export_sync_file);
	FIELD(dma_buf_export_sync_file, flags);
	FIELD(dma_buf_export_sync_file, fd);
	STRUCT(dma_buf_import_sync_file);
	FIELD(dma_buf_import_sync_file, flags);
	FIELD(dma_buf_import_sync_file, fd);
	CONST(DMA_BUF_SYNC_READ);
	CONST(DMA_BUF_SYNC_WRITE);
	CONST(DMA_BUF_SYNC_RW);
	CONST(DMA_BUF_SYNC_START);
	CONST(DMA_BUF_SYNC_END);
	CONST(DMA_BUF_SYNC_VALID_FLAGS_MASK);
	CONST(DMA_BUF_NAME_LEN);
	CONST(DMA_BUF_BASE);
	CONST(DMA_BUF_IOCTL_SYNC);
	CONST(DMA_BUF_SET_NAME);
	CONST(DMA_BUF_SET_NAME_A);
	CONST(DMA_BUF_SET_NAME_B);
	CONST(DMA_BUF_IOCTL_EXPORT_SYNC_FILE);
	CONST(DMA_BUF_IOCTL_IMPORT_SYNC_FILE);

	SECTION("linux/sync_file.h");
	STRUCT(sync_merge_data);
	FIELD(sync_merge_data, name);
	FIELD(sync_merge_data, fd2);
	FIELD(sync_merge_data, fence);
	FIELD(sync_merge_data, flags);
	FIELD(sync_merge_data, pad);
	STRUCT(sync_fence_info);
	FIELD(sync_fence_info, obj_name);
	FIELD(sync_fence_info, driver_name);
	FIELD(sync_fence_info, status);
	FIELD(sync_fence_info, flags);
	FIELD(sync_fence_info, timestamp_ns);
	STRUCT(sync_file_info);
	FIELD(sync_file_info, name);
	FIELD(sync_file_info, status);
	FIELD(sync_file_info, flags);
	FIELD(sync_file_info, num_fences);
	FIELD(sync_file_info, pad);
	FIELD(sync_file_info, sync_fence_info);
	STRUCT(sync_set_deadline);
	FIELD(sync_set_deadline, deadline_ns);
	FIELD(sync_set_deadline, pad);
	CONST(SYNC_IOC_MAGIC);
	CONST(SYNC_IOC_MERGE);
	CONST(SYNC_IOC_FILE_INFO);
	CONST(SYNC_IOC_SET_DEADLINE);

	SECTION("linux/dma-heap.h");
	STRUCT(dma_heap_allocation_data);
	FIELD(dma_heap_allocation_data, len);
	FIELD(dma_heap_allocation_data, fd);
	FIELD(dma_heap_allocation_data, fd_flags);
	FIELD(dma_heap_allocation_data, heap_flags);
	CONST(DMA_HEAP_VALID_FD_FLAGS);
	CONST(DMA_HEAP_VALID_HEAP_FLAGS);
	CONST(DMA_HEAP_IOC_MAGIC);
	CONST(DMA_HEAP_IOCTL_ALLOC);

	SECTION("linux/udmabuf.h");
	STRUCT(udmabuf_create);
	FIELD(udmabuf_create, memfd);
	FIELD(udmabuf_create, flags);
	FIELD(udmabuf_create, offset);
	FIELD(udmabuf_create, size);
	STRUCT(udmabuf_create_item);
	FIELD(udmabuf_create_item, memfd);
	FIELD(udmabuf_create_item, __pad);
	FIELD(udmabuf_create_item, offset);
	FIELD(udmabuf_create_item, size);
	STRUCT(udmabuf_create_list);
	FIELD(udmabuf_create_list, flags);
	FIELD(udmabuf_create_list, count);
	ELEM(udmabuf_create_list, list);
	CONST(UDMABUF_FLAGS_CLOEXEC);
	CONST(UDMABUF_CREATE);
	CONST(UDMABUF_CREATE_LIST);
	return 0;
}
