/* Internal to --from-pcap: the connection table read from a capture
 * (frompcap_read.c) and the draft writer (frompcap_write.c). */
#ifndef TCPCHECK_FROMPCAP_INTERNAL_H
#define TCPCHECK_FROMPCAP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "packet/packet.h"

struct fp_endpoint {
	int family; /* AF_INET or AF_INET6 */
	union packet_addr addr;
	uint16_t port;
};

/* One TCP segment of the connection the draft is about. */
struct fp_seg {
	int64_t ns;          /* capture time, nanoseconds */
	unsigned long frame; /* 1-based packet number in the file */
	bool from_a;         /* sent by endpoint a of its connection */
	uint8_t tos;
	struct packet_tcp tcp;
};

/* A 4-tuple: a is the sender of its first segment. */
struct fp_conn {
	struct fp_endpoint a, b;
	int64_t first_ns;
	unsigned long segments;
	bool has_syn;
};

/* What reading found. The first pass fills the table and the counts; the
 * second collects the segments of one connection. */
struct fp_capture {
	const char *file;
	struct fp_conn *conns;
	size_t count, cap;
	size_t *slots; /* open addressing: index + 1 into conns; 0 is empty */
	size_t slot_cap;
	unsigned long frames;     /* packets read */
	unsigned long truncated;  /* cut by the snapshot length */
	unsigned long malformed;  /* bad IP or TCP headers or options */
	unsigned long other_link; /* link layer payload that is not IP */
	bool cut_short;           /* the file ends mid-packet */
	char cut_reason[256];
	struct fp_seg *segs;
	size_t seg_count, seg_cap;
};

/* Read the whole file: with conn SIZE_MAX, build the connection table;
 * else collect the segments of connection conn (an index into the table
 * an earlier call built). 0, or -1 with d set: a file libpcap cannot read
 * or a link type it cannot decode (EXIT_USAGE), no memory (EXIT_INTERNAL). */
int fp_read(struct fp_capture *c, size_t conn, struct diag *d);
void fp_capture_free(struct fp_capture *c);

/* "192.0.2.1:8080", "[fd3d::1]:8080". */
void fp_endpoint_format(const struct fp_endpoint *e, char *buf, size_t len);
bool fp_endpoint_equal(const struct fp_endpoint *x,
		       const struct fp_endpoint *y);

/* What the writer needs to know besides the segments. */
struct fp_draft {
	const char *file;
	unsigned conn_number;       /* 1-based */
	const struct fp_conn *conn;
	const struct fp_seg *segs;  /* the connection's, in capture order */
	size_t seg_count;
	bool stack_is_a;            /* the stack under test is conn->a */
	const char *why_stack;      /* how the stack side was chosen */
	size_t teardown_dropped;    /* trailing segments left out */
};

/* The system calls a draft infers. */
enum fp_call {
	FP_SOCKET,
	FP_BIND,
	FP_LISTEN,
	FP_ACCEPT,
	FP_NONBLOCK, /* fcntl O_NONBLOCK, for connect */
	FP_CONNECT,
	FP_BLOCK, /* fcntl back to blocking once connected */
	FP_WRITE,
	FP_READ,
	FP_CLOSE,
	FP_SHUTDOWN,
};

/* One line of the draft. */
struct fp_event {
	enum { FP_EV_IN, FP_EV_OUT, FP_EV_CALL } kind;
	int64_t ns; /* the capture time it goes with */
	const struct fp_seg *seg; /* FP_EV_IN, FP_EV_OUT */
	enum fp_call call;        /* FP_EV_CALL */
	int fd;
	uint32_t len;     /* FP_WRITE, FP_READ: bytes */
	const char *note; /* a comment at the end of the line, or NULL */
};

/* The draft's numbers and lines, from the segments (frompcap_infer.c). */
struct fp_lines {
	uint32_t isn_stack, isn_peer; /* sequence numbers count from these */
	uint32_t ts_stack; /* the stack's first TS val: its TS count from it */
	bool opened;     /* opening calls were inferred */
	/* No SYN at all, and the peer spoke first: a listener is assumed,
	 * and the stack's numbers are as on the wire (a script has no ISN
	 * of the stack's to count them from before a SYN of its). */
	bool listener_assumed;
	bool syn_backoff; /* the stack's SYN retries double from the first */
	struct fp_event *ev;
	size_t count, cap;
};

int fp_infer(const struct fp_draft *dr, struct fp_lines *l, struct diag *d);
void fp_lines_free(struct fp_lines *l);

/* Write the draft script; -1 with d set when out fails. */
int fp_write_draft(const struct fp_draft *dr, FILE *out, struct diag *d);

#endif
