/* Run settings: defaults, script option lines and command-line options,
 * in that order of precedence (the command line wins). */
#ifndef TCPCHECK_CONFIG_H
#define TCPCHECK_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "diag.h"
#include "script.h"

enum ip_version {
	IP_V4,
	IP_V6,
	IP_V4_MAPPED_V6,
};

#define CONFIG_ADDR_MAX 64

struct config {
	enum ip_version ip_version;
	char local_ip[CONFIG_ADDR_MAX];   /* "" until set or defaulted */
	char remote_ip[CONFIG_ADDR_MAX];
	char gateway_ip[CONFIG_ADDR_MAX];
	char netmask_ip[CONFIG_ADDR_MAX];
	uint16_t bind_port;
	uint16_t connect_port;
	bool connect_port_set; /* given: the tool's port is the script's */
	/* --state_trace=sampling: read states over sock_diag even where the
	 * tracepoint is there (statetrace.h); the default is auto. */
	bool state_trace_sampling;
	int64_t tolerance_usecs;
	double tolerance_percent;
	int mtu;
	/* --mss: inbound TCP segments go in as GRO packets of this segment
	 * size (a virtio-net header on tun0); 0: as they are. */
	int mss;
	bool strict_segments;
	int tcp_ts_tick_usecs;  /* check outbound TS val: us a tick; 0: no */
	bool tcp_ts_ecr_scaled; /* accepted: inbound ecr is always scaled */
	int verbose;
	bool stats;    /* print the run's scheduling error and cost */
	bool realtime; /* SCHED_FIFO for the run, where permitted */
	/* --stack: the plugin stack under test ("" or "kernel": the
	 * kernel), and --stack_options, given to it as they are. */
	char stack[256];
	char stack_options[256];

	/* Filled by config_finish() from the strings above. */
	int wire_family;   /* AF_INET or AF_INET6: packets on tun0 */
	int socket_family; /* AF_INET or AF_INET6: the script's sockets */
	struct sockaddr_storage local;  /* stack side, port = bind_port */
	struct sockaddr_storage remote; /* tool side, port = connect_port */
	socklen_t addr_len;
	int prefix_len;
};

/* Where an option came from, for messages. */
struct option_origin {
	const char *file;        /* the script, or NULL for the command line */
	struct src_loc loc;
};

void config_init(struct config *c);

/* Apply --name=value (value NULL for a bare --name). Names may use '-' or
 * '_'. Unknown names, bad values and options that exist in packetdrill but
 * that tcpcheck does not run yet are EXIT_USAGE errors. */
int config_apply(struct config *c, const char *name, const char *value,
		 const struct src_loc *loc, struct diag *d);

/* Apply a script's option lines. */
int config_apply_script(struct config *c, const struct script *s,
			struct diag *d);

/* Fill defaults that depend on the IP version, parse the addresses. */
int config_finish(struct config *c, struct diag *d);

/* The known option closest to an unknown name (for "did you mean"), or
 * NULL. */
const char *config_option_suggest(const char *name);

/* Is name one that takes a value (for the command-line parser)? Returns
 * 1 yes, 0 it is a flag, -1 unknown, -2 known but not supported yet. */
int config_option_takes_value(const char *name);

#endif
