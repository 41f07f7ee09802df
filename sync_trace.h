/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The sync_trace trace system: sw_sync timelines as they advance.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM sync_trace
/* found through -I$(src), see the Makefile */
#define TRACE_INCLUDE_PATH .

#if !defined(_TRACE_SYNC_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_SYNC_H

#include <linux/tracepoint.h>

#include "sync_debug.h"

/*
 * sync_timeline: a timeline is about to advance (SW_SYNC_IOC_INC, once per
 * step of at most INT_MAX); @value is where it stands before the step.
 */
TRACE_EVENT(sync_timeline,
	    TP_PROTO(struct sync_timeline *timeline),
	    TP_ARGS(timeline),
	    TP_STRUCT__entry(__string(name, timeline->name)
			     __field(u32, value)),
	    TP_fast_assign(__assign_str(name);
			   __entry->value = timeline->value;),
	    TP_printk("name=%s value=%d", __get_str(name), __entry->value)
);

#endif /* _TRACE_SYNC_H */

/* outside the guard: define_trace.h reads this file again */
#include <trace/define_trace.h>
