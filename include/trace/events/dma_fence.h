/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tracepoints of the dma_fence life cycle: init, emit (a driver hands the
 * fence to hardware), enable_signal, signaled, wait_start/wait_end and
 * destroy.  Every event records the same four fields so that one fence can
 * be followed across events by (context, seqno).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM dma_fence

#if !defined(_TRACE_DMA_FENCE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_DMA_FENCE_H

#include <linux/tracepoint.h>

struct dma_fence;

/* The record layout and text are ABI for trace tools: keep them stable. */
DECLARE_EVENT_CLASS(dma_fence,
		    TP_PROTO(struct dma_fence *fence),
		    TP_ARGS(fence),
		    TP_STRUCT__entry(__string(driver,
					      fence->ops->get_driver_name(fence))
				     __string(timeline,
					      fence->ops->get_timeline_name(fence))
				     __field(unsigned int, context)
				     __field(unsigned int, seqno)),
		    TP_fast_assign(__assign_str(driver);
				   __assign_str(timeline);
				   __entry->context = fence->context;
				   __entry->seqno = fence->seqno;),
		    TP_printk("driver=%s timeline=%s context=%u seqno=%u",
			      __get_str(driver), __get_str(timeline),
			      __entry->context, __entry->seqno)
);

#define DMA_FENCE_EVENT(name) \
	DEFINE_EVENT(dma_fence, name, TP_PROTO(struct dma_fence *fence), TP_ARGS(fence))

DMA_FENCE_EVENT(dma_fence_emit);
DMA_FENCE_EVENT(dma_fence_init);
DMA_FENCE_EVENT(dma_fence_destroy);
DMA_FENCE_EVENT(dma_fence_enable_signal);
DMA_FENCE_EVENT(dma_fence_signaled);
DMA_FENCE_EVENT(dma_fence_wait_start);
DMA_FENCE_EVENT(dma_fence_wait_end);

#undef DMA_FENCE_EVENT

#endif /* _TRACE_DMA_FENCE_H */

/* Outside the guard: define_trace.h re-reads this file. */
#include <trace/define_trace.h>
