/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The lwIP stack plugin (tcpcheck-stack(3)) on Debian's liblwip: one stack
 * per process, on virtual time, its interface handing every datagram to
 * tcpcheck. This file holds the stack's life, its clock and its interface;
 * sockcalls.c the socket calls, tcpstate.c the TCP states.
 *
 * liblwip is built for the Hurd (NO_SYS 0, LWIP_TCPIP_CORE_LOCKING 1), so
 * it expects a tcpip thread. The plugin starts none: it calls lwip_init()
 * itself and runs input and timers in tcpcheck's thread under the core
 * lock, taken the way lwIP's socket calls take it. Two of liblwip's
 * functions are replaced by ours through symbol interposition (the
 * library calls them through its PLT): sys_now() reads the virtual clock,
 * and tcpip_try_callback() queues what lwIP would post to the missing
 * thread (loopback, pbuf reclaiming) to run after the current call.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "lwip/init.h"
#include "lwip/ip.h"
#include "lwip/ip4.h"
#include "lwip/ip6.h"
#include "lwip/netif.h"
#include "lwip/opt.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "lwip/timeouts.h"

#include "stacks/lwip/lwip_plugin.h"

#define PUBLIC __attribute__((visibility("default")))

/* liblwip has one set of globals: the stack of this process, if any. */
static struct lwip_stack *the_stack;
/* lwip_init() ran: lwIP cannot be initialised twice. */
static bool lwip_started;

/* lwIP's clock, which liblwip calls instead of its own. */
PUBLIC u32_t sys_now(void)
{
	return the_stack ? the_stack->now_ms : 0;
}

/* lwIP posts this to its tcpip thread; there is none, so the call waits
 * in a queue until the plugin's current operation ends. */
PUBLIC err_t tcpip_try_callback(tcpip_callback_fn fn, void *ctx)
{
	struct lwip_stack *st = the_stack;

	if (st == NULL || st->ndeferred == DEFERRED_MAX)
		return ERR_MEM;
	st->deferred[st->ndeferred].fn = fn;
	st->deferred[st->ndeferred].ctx = ctx;
	st->ndeferred++;
	return ERR_OK;
}

void lwstack_run_deferred(struct lwip_stack *st)
{
	/* A callback may queue another (a looped packet answered by one
	 * looped back again): run until the queue stays empty, bounded. */
	for (int round = 0; st->ndeferred > 0 && round < 1000; round++) {
		struct deferred_call calls[DEFERRED_MAX];
		size_t n = st->ndeferred;

		memcpy(calls, st->deferred, n * sizeof(calls[0]));
		st->ndeferred = 0;
		for (size_t i = 0; i < n; i++)
			calls[i].fn(calls[i].ctx);
	}
}

void lwstack_lock(void)
{
	sys_lock_tcpip_core();
}

void lwstack_unlock(void)
{
	sys_unlock_tcpip_core();
}

void lwstack_log(struct lwip_stack *st, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!st->debug || st->host.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	st->host.log(st->host.ctx, line);
}

/* The interface: every datagram lwIP sends goes to tcpcheck as it is. */
static err_t netif_send(struct netif *nif, struct pbuf *p)
{
	struct lwip_stack *st = nif->state;
	const void *bytes = p->payload;

	if (st->closing)
		return ERR_OK;
	if (p->next != NULL || p->len != p->tot_len) {
		if (st->outcap < p->tot_len) {
			unsigned char *b = realloc(st->outbuf, p->tot_len);

			if (b == NULL)
				return ERR_MEM;
			st->outbuf = b;
			st->outcap = p->tot_len;
		}
		pbuf_copy_partial(p, st->outbuf, p->tot_len, 0);
		bytes = st->outbuf;
	}
	st->host.output(st->host.ctx, bytes, p->tot_len);
	return ERR_OK;
}

static err_t netif_output4(struct netif *nif, struct pbuf *p,
			   const ip4_addr_t *next_hop)
{
	(void)next_hop;
	return netif_send(nif, p);
}

static err_t netif_output6(struct netif *nif, struct pbuf *p,
			   const ip6_addr_t *next_hop)
{
	(void)next_hop;
	return netif_send(nif, p);
}

static unsigned int netif_mtu;

static err_t netif_setup(struct netif *nif)
{
	nif->name[0] = 't';
	nif->name[1] = 'c';
	nif->mtu = (u16_t)netif_mtu;
#if LWIP_ND6_ALLOW_RA_UPDATES
	nif->mtu6 = (u16_t)netif_mtu;
#endif
	nif->output = netif_output4;
	nif->output_ip6 = netif_output6;
	/* No NETIF_FLAG_ETHARP, _IGMP, _MLD6: a point-to-point link that
	 * sends no ARP, IGMP or MLD of its own. */
	nif->flags = 0;
	return ERR_OK;
}

static void ip4_from_prefix(ip4_addr_t *mask, unsigned int prefix_len)
{
	uint32_t m = prefix_len == 0	? 0
		     : prefix_len >= 32 ? 0xffffffffu
					: ~((1u << (32 - prefix_len)) - 1);

	ip4_addr_set_u32(mask, htonl(m));
}

static int netif_configure(struct lwip_stack *st,
			   const struct tcpcheck_stack_config *cfg, char *err,
			   size_t errlen)
{
	ip4_addr_t addr, mask, gw;

	ip4_addr_set_zero(&addr);
	ip4_addr_set_zero(&mask);
	ip4_addr_set_zero(&gw);
	if (cfg->family == AF_INET) {
		const struct sockaddr_in *l = (const void *)&cfg->local;
		const struct sockaddr_in *g = (const void *)&cfg->gateway;

		ip4_addr_set_u32(&addr, l->sin_addr.s_addr);
		ip4_from_prefix(&mask, cfg->prefix_len);
		if (cfg->gateway.ss_family == AF_INET)
			ip4_addr_set_u32(&gw, g->sin_addr.s_addr);
	}
	netif_mtu = cfg->mtu;
	if (netif_add(&st->netif, &addr, &mask, &gw, st, netif_setup,
		      ip_input) == NULL) {
		snprintf(err, errlen, "lwip: netif_add failed");
		return -1;
	}
	if (cfg->family == AF_INET6) {
		const struct sockaddr_in6 *l = (const void *)&cfg->local;
		ip6_addr_t a6;
		/* Slot 0 is the link-local address's; a global one in it
		 * would make lwIP send router solicitations from it. */
		s8_t slot = IN6_IS_ADDR_LINKLOCAL(&l->sin6_addr) ? 0 : 1;

		memcpy(a6.addr, &l->sin6_addr, sizeof(a6.addr));
#if LWIP_IPV6_SCOPES
		ip6_addr_clear_zone(&a6);
#endif
		netif_ip6_addr_set(&st->netif, slot, &a6);
		/* Preferred at once: no duplicate address detection. */
		netif_ip6_addr_set_state(&st->netif, slot, IP6_ADDR_PREFERRED);
	}
	netif_set_default(&st->netif);
	netif_set_link_up(&st->netif);
	netif_set_up(&st->netif);
#if LWIP_IPV6 && LWIP_IPV6_SEND_ROUTER_SOLICIT
	st->netif.rs_count = 0; /* no router solicitations */
#endif
	return 0;
}

static int parse_options(struct lwip_stack *st, const char *options, char *err,
			 size_t errlen)
{
	const char *p = options;

	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, ", \t");

		if (n == 5 && strncmp(p, "debug", 5) == 0) {
			st->debug = true;
		} else if (n > 0) {
			snprintf(err, errlen,
				 "lwip: unknown stack option '%.*s' (known: "
				 "debug)",
				 (int)n, p);
			return -1;
		}
		p += n;
		p += strspn(p, ", \t");
	}
	return 0;
}

static void *lwstack_open(const struct tcpcheck_stack_config *cfg,
			  const struct tcpcheck_stack_host *host, char *err,
			  size_t errlen)
{
	struct lwip_stack *st;

	if (lwip_started) {
		snprintf(err, errlen,
			 "lwip: liblwip has one set of globals: one stack "
			 "per process");
		return NULL;
	}
	if (cfg->family != AF_INET && cfg->family != AF_INET6) {
		snprintf(err, errlen, "lwip: unknown address family %d",
			 cfg->family);
		return NULL;
	}
	if (cfg->local.ss_family != cfg->family) {
		snprintf(err, errlen,
			 "lwip: the local address is not of "
			 "the run's family");
		return NULL;
	}
	if (cfg->mtu < (cfg->family == AF_INET6 ? 1280u : 68u) ||
	    cfg->mtu > 0xffff) {
		snprintf(err, errlen, "lwip: mtu %u out of range", cfg->mtu);
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(err, errlen, "lwip: %s", strerror(errno));
		return NULL;
	}
	st->host = *host;
	st->family = cfg->family;
	if (parse_options(st, cfg->options, err, errlen) < 0) {
		free(st);
		return NULL;
	}
	the_stack = st;
	lwip_started = true;

	/* lwIP draws its first local port and some delays from rand(). */
	srand((unsigned int)(cfg->seed ^ (cfg->seed >> 32)));
	if (sys_mutex_new(&lock_tcpip_core) != ERR_OK) {
		snprintf(err, errlen, "lwip: sys_mutex_new failed");
		the_stack = NULL;
		free(st);
		return NULL;
	}
	lwip_init();

	lwstack_lock();
	if (netif_configure(st, cfg, err, errlen) < 0) {
		lwstack_unlock();
		the_stack = NULL;
		free(st);
		return NULL;
	}
	lwstack_unlock();
	lwstack_log(st, "lwip %s up, mtu %u", LWIP_VERSION_STRING, cfg->mtu);
	return st;
}

static void lwstack_close(void *handle)
{
	struct lwip_stack *st = handle;

	st->closing = true;
	sockcall_close_all(st);
	lwstack_lock();
	while (tcp_active_pcbs != NULL)
		tcp_abort(tcp_active_pcbs);
	while (tcp_tw_pcbs != NULL)
		tcp_abort(tcp_tw_pcbs);
	netif_set_down(&st->netif);
	netif_remove(&st->netif);
	lwstack_run_deferred(st);
	st->ndeferred = 0;
	lwstack_unlock();
	free(st->outbuf);
	free(st->fds);
	the_stack = NULL;
	free(st);
}

/* Run one round of lwIP's due timers with the clock at ms. */
static void run_timers_at(struct lwip_stack *st, uint32_t ms)
{
	st->now_ms = ms;
	sys_check_timeouts();
	lwstack_run_deferred(st);
	tcpstate_sweep(st);
}

static int64_t lwstack_advance(void *handle, int64_t now)
{
	struct lwip_stack *st = handle;
	uint32_t target, deadline;
	int64_t next_ms = 0;
	bool have_next = false;
	u32_t sleep;

	if (!st->started) {
		st->started = true;
		st->origin_ns = now;
	}
	if (now < st->origin_ns)
		now = st->origin_ns;
	target = (uint32_t)((now - st->origin_ns) / 1000000);
	if ((int32_t)(target - st->now_ms) < 0)
		target = st->now_ms; /* time does not go back */

	lwstack_lock();
	/* Each timer at its own time, should tcpcheck skip one. */
	for (;;) {
		sleep = sys_timeouts_sleeptime();
		if (sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE ||
		    sleep > target - st->now_ms)
			break;
		run_timers_at(st, st->now_ms + sleep);
	}
	st->now_ms = target;
	sleep = sys_timeouts_sleeptime();
	lwstack_unlock();

	if (sleep != SYS_TIMEOUTS_SLEEPTIME_INFINITE) {
		next_ms = (int64_t)target + sleep;
		have_next = true;
	}
	/* A sleeping call's deadline is a timer of the plugin's own. */
	if (sockcall_next_deadline(st, &deadline)) {
		int32_t in = (int32_t)(deadline - target);
		int64_t d = (int64_t)target + (in < 0 ? 0 : in);

		if (!have_next || d < next_ms)
			next_ms = d;
		have_next = true;
	}
	if (!have_next)
		return -1;
	return st->origin_ns + next_ms * 1000000;
}

static int lwstack_inject(void *handle, const void *datagram, size_t len)
{
	struct lwip_stack *st = handle;
	const unsigned char *b = datagram;
	struct pbuf *p;

	if (len < 1 || len > 0xffff || ((b[0] >> 4) != 4 && (b[0] >> 4) != 6)) {
		errno = EINVAL;
		return -1;
	}
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	pbuf_take(p, datagram, (u16_t)len);
	lwstack_lock();
	if (st->netif.input(p, &st->netif) != ERR_OK)
		pbuf_free(p);
	lwstack_run_deferred(st);
	tcpstate_sweep(st);
	lwstack_unlock();
	return 0;
}

TCPCHECK_STACK_EXPORT int tcpcheck_stack_init(struct tcpcheck_stack_ops *ops)
{
	ops->version = TCPCHECK_STACK_VERSION;
	ops->name = "lwip " LWIP_VERSION_STRING;
	ops->flags = TCPCHECK_STACK_VIRTUAL_TIME;
	ops->open = lwstack_open;
	ops->close = lwstack_close;
	ops->advance = lwstack_advance;
	ops->inject = lwstack_inject;
	sockcall_fill_ops(ops);
	return 0;
}
