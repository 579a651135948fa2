/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The example stack plugin (tcpcheck-stack(3)), the skeleton a stack's
 * author copies: a host with no TCP listeners at all, which answers every
 * segment as RFC 9293 section 3.10.7.1 says a CLOSED connection does.
 * Every operation of the table is shown; the few this host needs work,
 * the others are stubs left NULL.
 */
#include <tcpcheck/stack.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h> /* TH_SYN, TH_ACK... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything one stack owns hangs off its handle, never off globals. */
struct example {
	struct tcpcheck_stack_host host; /* how to send and how to log */
	int family;			 /* AF_INET or AF_INET6 */
	uint8_t addr[16];		 /* our address */
	size_t addr_len;		 /* 4 or 16 */
	int64_t now; /* the last advance(): the only clock a stack reads */
};

/* A TCP segment found in an inbound datagram. */
struct segment {
	const uint8_t *src, *dst; /* IP addresses, addr_len bytes each */
	const uint8_t *tcp;	  /* the TCP header, then the payload */
	size_t len, hlen;	  /* all of it; the header */
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* The Internet checksum (RFC 1071): the one's complement of the one's
 * complement sum of 16-bit words. Over data that holds its own checksum
 * it is 0 when the checksum is right. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* TCP's checksum also covers a pseudo-header: both addresses, the
 * protocol and the TCP length (RFC 9293 3.1; RFC 8200 8.1 for IPv6). */
static uint16_t tcp_checksum(const struct example *ex, const uint8_t *src,
			     const uint8_t *dst, const uint8_t *tcp, size_t len)
{
	uint32_t sum = sum16(0, src, ex->addr_len);

	sum = sum16(sum, dst, ex->addr_len);
	sum += IPPROTO_TCP + (uint32_t)len;
	return fold(sum16(sum, tcp, len));
}

/* 1 and *seg for an intact TCP segment to us, 0 for anything this host
 * drops, -1 for what is no IP datagram at all. */
static int find_segment(const struct example *ex, const uint8_t *d, size_t len,
			struct segment *seg)
{
	size_t hlen;

	if (len < 1)
		return -1;
	if (d[0] >> 4 != (ex->family == AF_INET ? 4 : 6))
		return 0; /* we have no address of that version */
	if (ex->family == AF_INET) {
		hlen = (d[0] & 0xfu) * 4;
		if (len < 20 || hlen < 20 || get16(d + 2) < hlen ||
		    get16(d + 2) > len)
			return -1;
		/* A bad header checksum, a fragment (we do not reassemble),
		 * another protocol: dropped. */
		if (fold(sum16(0, d, hlen)) || (get16(d + 6) & 0x3fff) ||
		    d[9] != IPPROTO_TCP)
			return 0;
		*seg = (struct segment){.src = d + 12,
					.dst = d + 16,
					.tcp = d + hlen,
					.len = get16(d + 2) - hlen};
	} else {
		if (len < 40 || 40 + (size_t)get16(d + 4) > len)
			return -1;
		if (d[6] != IPPROTO_TCP) /* extension headers too */
			return 0;
		*seg = (struct segment){.src = d + 8,
					.dst = d + 24,
					.tcp = d + 40,
					.len = get16(d + 4)};
	}
	/* Not to us, cut short or damaged: dropped. */
	if (memcmp(seg->dst, ex->addr, ex->addr_len) || seg->len < 20)
		return 0;
	seg->hlen = (size_t)(seg->tcp[12] >> 4) * 4;
	return seg->hlen >= 20 && seg->hlen <= seg->len &&
	       !tcp_checksum(ex, seg->src, seg->dst, seg->tcp, seg->len);
}

/* Send <SEQ=seq><ACK=ack><CTL=flags> back where seg came from: the
 * addresses and ports swapped, window 0, no options, no data. */
static void send_reset(struct example *ex, const struct segment *seg,
		       uint32_t seq, uint32_t ack, uint8_t flags)
{
	uint8_t out[60] = {0}, *tcp;
	size_t iplen = ex->family == AF_INET ? 20 : 40;

	tcp = out + iplen;
	memcpy(tcp, seg->tcp + 2, 2); /* source port: theirs to us */
	memcpy(tcp + 2, seg->tcp, 2);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4; /* data offset: 5 words, no options */
	tcp[13] = flags;
	put16(tcp + 16, tcp_checksum(ex, ex->addr, seg->src, tcp, 20));
	if (ex->family == AF_INET) {
		out[0] = 0x45;		/* version 4, 5-word header */
		put16(out + 2, 40);	/* total length */
		put16(out + 6, 0x4000); /* don't fragment */
		out[8] = 64;		/* TTL */
		out[9] = IPPROTO_TCP;
		memcpy(out + 12, ex->addr, 4);
		memcpy(out + 16, seg->src, 4);
		put16(out + 10, fold(sum16(0, out, 20)));
	} else {
		out[0] = 0x60;	    /* version 6, class 0, no label */
		put16(out + 4, 20); /* payload length */
		out[6] = IPPROTO_TCP;
		out[7] = 64; /* hop limit */
		memcpy(out + 8, ex->addr, 16);
		memcpy(out + 24, seg->src, 16);
	}
	/* tcpcheck copies the datagram, and with virtual time sends it at
	 * the time of the last advance(). */
	ex->host.output(ex->host.ctx, out, iplen + 20);
}

/* A datagram from the peer. Every port is CLOSED here, so RFC 9293
 * 3.10.7.1 says what to do. Return 0 when TCP drops the segment too: -1
 * is for a datagram the stack cannot take at all. */
static int example_inject(void *stack, const void *datagram, size_t len)
{
	struct example *ex = stack;
	struct segment seg;
	uint32_t seglen;
	uint8_t flags;
	char line[64];
	int found = find_segment(ex, datagram, len, &seg);

	if (found <= 0)
		return found < 0 ? (errno = EINVAL, -1) : 0;
	flags = seg.tcp[13];
	if (flags & TH_RST) /* "An incoming segment containing a RST is
			       discarded." */
		return 0;
	/* SEG.LEN counts the payload, and SYN and FIN as one each. */
	seglen = (uint32_t)(seg.len - seg.hlen) + !!(flags & TH_SYN) +
		 !!(flags & TH_FIN);
	if (flags & TH_ACK)
		send_reset(ex, &seg, get32(seg.tcp + 8), 0, TH_RST);
	else
		send_reset(ex, &seg, 0, get32(seg.tcp + 4) + seglen,
			   TH_RST | TH_ACK);
	/* Like inject(), the reset happens at the last advance() time. */
	snprintf(line, sizeof(line), "%lld ns: port %u is closed: reset",
		 (long long)ex->now, get16(seg.tcp + 2));
	ex->host.log(ex->host.ctx, line);
	return 0;
}

/* Virtual time: tcpcheck calls this first with the start time, then, in
 * order, at each time we returned and before each event of the script. A
 * real stack runs the timers due by now and returns when the next one is
 * due; this host has none. */
static int64_t example_advance(void *stack, int64_t now)
{
	struct example *ex = stack;

	ex->now = now;
	return -1;
}

/* This host has no sockets: no fd is one of ours. */
static int example_tcp_state(void *stack, int fd)
{
	errno = EBADF;
	return -1;
}

/* Every connection, listener or not, is one the stack does not know. */
static int example_tcp_state_tuple(void *stack, const struct sockaddr *local,
				   const struct sockaddr *remote)
{
	return TCPCHECK_CLOSED;
}

/* A fresh stack on cfg's network. A real one also takes cfg->mtu,
 * prefix_len and gateway for its interface, and seeds whatever it draws
 * at random (ISNs, ephemeral ports) with cfg->seed. */
static void *example_open(const struct tcpcheck_stack_config *cfg,
			  const struct tcpcheck_stack_host *host, char *err,
			  size_t errlen)
{
	struct example *ex;

	if (cfg->options) {
		snprintf(err, errlen, "the example stack takes no options");
		return NULL;
	}
	if (cfg->local.ss_family != cfg->family) {
		snprintf(err, errlen, "the local address is not in family %d",
			 cfg->family);
		return NULL;
	}
	ex = calloc(1, sizeof(*ex));
	if (!ex) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ex->host = *host;
	ex->family = cfg->family;
	if (cfg->family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&cfg->local;

		ex->addr_len = 4;
		memcpy(ex->addr, &sin->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)&cfg->local;

		ex->addr_len = 16;
		memcpy(ex->addr, &sin6->sin6_addr, 16);
	}
	return ex;
}

static void example_close(void *stack)
{
	free(stack);
}

/*
 * A stack with sockets writes each call with its POSIX meaning on its own
 * fd numbers, and never sleeps: where a blocking call would wait, it
 * returns TCPCHECK_STACK_ASLEEP and is called again after each later
 * advance() or inject(). Its read(), say, ends with
 *
 *	if (mysock_rcvq_empty(s) && !mysock_fin_seen(s))
 *		return mysock_nonblocking(s) ? (errno = EAGAIN, -1)
 *					      : TCPCHECK_STACK_ASLEEP;
 *	return mysock_copy_out(s, buf, len);
 */
TCPCHECK_STACK_EXPORT int tcpcheck_stack_init(struct tcpcheck_stack_ops *ops)
{
	ops->version = TCPCHECK_STACK_VERSION;
	ops->name = "example";
	/* A stack that has only real time leaves the flag out and is judged
	 * with tolerances, as the kernel is. This one has no timers, so it
	 * can do either: TCPCHECK_EXAMPLE_REAL_TIME=1 in the environment
	 * shows (and tests) the other way. */
	ops->flags = getenv("TCPCHECK_EXAMPLE_REAL_TIME")
			     ? 0
			     : TCPCHECK_STACK_VIRTUAL_TIME;
	ops->open = example_open;
	ops->close = example_close;
	ops->advance = example_advance;
	ops->inject = example_inject;
	ops->tcp_state = example_tcp_state;
	ops->tcp_state_tuple = example_tcp_state_tuple;
	/* The socket calls. tcpcheck zeroed the table, so these lines only
	 * show what there is to fill in: NULL is a call the stack does not
	 * have, and a script that makes it fails with "the stack has no
	 * CALL". */
	ops->socket = NULL;  /* a new fd, or -1 EAFNOSUPPORT... */
	ops->bind = NULL;    /* sockaddr_in/in6 in Linux's layout */
	ops->listen = NULL;  /* tcp_state(fd) is LISTEN after it */
	ops->accept = NULL;  /* ASLEEP while no connection is ready */
	ops->connect = NULL; /* ASLEEP until established; EINPROGRESS */
	ops->read = NULL;    /* ASLEEP while nothing is queued */
	ops->write = NULL;   /* ASLEEP while the send buffer is full */
	ops->readv = NULL;
	ops->writev = NULL;
	ops->send = NULL; /* flags: MSG_* in Linux's numbers */
	ops->recv = NULL;
	ops->sendto = NULL;
	ops->recvfrom = NULL;
	ops->sendmsg = NULL;
	ops->recvmsg = NULL;
	ops->close_fd = NULL; /* close(): TIME_WAIT lives on without fd */
	ops->shutdown = NULL;
	ops->getsockopt = NULL; /* SOL_SOCKET, SOL_TCP... Linux numbers */
	ops->setsockopt = NULL;
	ops->fcntl = NULL; /* F_GETFL, F_SETFL with O_NONBLOCK */
	ops->poll = NULL;  /* timeout 0 always: tcpcheck waits */
	return 0;
}
