/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rbus trace events: event dispatch, child-to-bus calls, requests and
 * the runtime PM of children and hosts. rust/rbus_trace.c creates them; the
 * bus core's Rust calls them through rust/rbus/tracepoint.rs, and the C fast
 * path of event dispatch through trace_rbus_event().
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM rbus

#if !defined(_TRACE_RBUS_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_RBUS_H

#include <linux/device.h>
#include <linux/tracepoint.h>

/* What became of an event: rbus_event's outcome. */
#define RBUS_TRACE_DELIVERED	0
#define RBUS_TRACE_DEFERRED	1
#define RBUS_TRACE_DROPPED	2

/* The child-to-bus call: rbus_call's op. */
#define RBUS_TRACE_TRANSFER	0
#define RBUS_TRACE_REG_READ	1
#define RBUS_TRACE_REG_WRITE	2
#define RBUS_TRACE_SUBSCRIBE	3

TRACE_EVENT(rbus_event,
	    TP_PROTO(const struct device *dev, u32 kind, u64 seq, int outcome),
	    TP_ARGS(dev, kind, seq, outcome),
	    TP_STRUCT__entry(__string(child, dev_name(dev))
			     __field(u32, kind)
			     __field(u64, seq)
			     __field(int, outcome)),
	    TP_fast_assign(__assign_str(child);
			   __entry->kind = kind;
			   __entry->seq = seq;
			   __entry->outcome = outcome;),
	    TP_printk("child=%s kind=%u seq=%llu outcome=%s", __get_str(child),
		      __entry->kind, __entry->seq,
		      __print_symbolic(__entry->outcome,
				       { RBUS_TRACE_DELIVERED, "delivered" },
				       { RBUS_TRACE_DEFERRED, "deferred" },
				       { RBUS_TRACE_DROPPED, "dropped" }))
);

TRACE_EVENT(rbus_call,
	    TP_PROTO(const struct device *dev, u32 op, u32 flags, int ret),
	    TP_ARGS(dev, op, flags, ret),
	    TP_STRUCT__entry(__string(child, dev_name(dev))
			     __field(u32, op)
			     __field(u32, flags)
			     __field(int, ret)),
	    TP_fast_assign(__assign_str(child);
			   __entry->op = op;
			   __entry->flags = flags;
			   __entry->ret = ret;),
	    TP_printk("child=%s op=%s flags=%#x ret=%d", __get_str(child),
		      __print_symbolic(__entry->op,
				       { RBUS_TRACE_TRANSFER, "transfer" },
				       { RBUS_TRACE_REG_READ, "reg_read" },
				       { RBUS_TRACE_REG_WRITE, "reg_write" },
				       { RBUS_TRACE_SUBSCRIBE, "subscribe" }),
		      __entry->flags, __entry->ret)
);

DECLARE_EVENT_CLASS(rbus_request,
		    TP_PROTO(const struct device *dev, u64 id),
		    TP_ARGS(dev, id),
		    TP_STRUCT__entry(__string(child, dev_name(dev))
				     __field(u64, id)),
		    TP_fast_assign(__assign_str(child);
				   __entry->id = id;),
		    TP_printk("child=%s id=%llu", __get_str(child), __entry->id)
);

/* A request is queued; while the child is suspended, it waits to start. */
DEFINE_EVENT(rbus_request, rbus_request_submit,
	     TP_PROTO(const struct device *dev, u64 id),
	     TP_ARGS(dev, id));

/* The controller is handed the request. */
DEFINE_EVENT(rbus_request, rbus_request_start,
	     TP_PROTO(const struct device *dev, u64 id),
	     TP_ARGS(dev, id));

/*
 * The request's one completion: by the controller, a cancel, a close or the
 * child's removal. latency_ns counts from the submit, 0 if this event was
 * off then.
 */
TRACE_EVENT(rbus_request_complete,
	    TP_PROTO(const struct device *dev, u64 id, int status, u64 latency_ns),
	    TP_ARGS(dev, id, status, latency_ns),
	    TP_STRUCT__entry(__string(child, dev_name(dev))
			     __field(u64, id)
			     __field(int, status)
			     __field(u64, latency_ns)),
	    TP_fast_assign(__assign_str(child);
			   __entry->id = id;
			   __entry->status = status;
			   __entry->latency_ns = latency_ns;),
	    TP_printk("child=%s id=%llu status=%d latency_ns=%llu", __get_str(child),
		      __entry->id, __entry->status, __entry->latency_ns)
);

/*
 * The runtime PM callbacks of a child ("<bus>-<addr>") or a host ("rbus<N>"),
 * as they return.
 */
DECLARE_EVENT_CLASS(rbus_runtime_pm,
		    TP_PROTO(const struct device *dev, int ret),
		    TP_ARGS(dev, ret),
		    TP_STRUCT__entry(__string(dev, dev_name(dev))
				     __field(int, ret)),
		    TP_fast_assign(__assign_str(dev);
				   __entry->ret = ret;),
		    TP_printk("dev=%s ret=%d", __get_str(dev), __entry->ret)
);

DEFINE_EVENT(rbus_runtime_pm, rbus_runtime_suspend,
	     TP_PROTO(const struct device *dev, int ret),
	     TP_ARGS(dev, ret));

DEFINE_EVENT(rbus_runtime_pm, rbus_runtime_resume,
	     TP_PROTO(const struct device *dev, int ret),
	     TP_ARGS(dev, ret));

#endif /* _TRACE_RBUS_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
