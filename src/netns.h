/* The network a kernel run lives in: a private network namespace holding
 * tun0, its addresses and its routes, all set up over rtnetlink. */
#ifndef TCPCHECK_NETNS_H
#define TCPCHECK_NETNS_H

#include <netinet/in.h>
#include <stdbool.h>

#include "diag.h"

/* Corpus scripts name the device in their commands, so it is fixed. */
#define NETNS_TUN_NAME "tun0"

union netns_addr {
	struct in_addr v4;
	struct in6_addr v6;
};

/* The network under test. family is the family of the addresses on tun0:
 * an ipv4-mapped-ipv6 run uses AF_INET here (its packets are IPv4). */
struct netns_config {
	int family;		  /* AF_INET or AF_INET6 */
	union netns_addr local;	  /* the stack's address, on tun0 */
	union netns_addr remote;  /* the scripted peer, routed via gateway */
	union netns_addr gateway; /* next hop towards remote, on tun0 */
	int prefix_len;		  /* of local: 0..32 or 0..128 */
	unsigned int mtu;	  /* of tun0 */
	/* tun0 with IFF_VNET_HDR: every read and write starts with a
	 * struct virtio_net_hdr (netns_tun_write). */
	bool vnet_hdr;
	/* Add routes only so that the corpus's `ip route change` commands
	 * find something to change (netns.c, corpus_routes_add). */
	bool corpus_routes;
};

/* What netns_enter made; everything in it dies with the process. */
struct netns {
	int tun_fd; /* non-blocking: write = inject, read = drain */
	unsigned int tun_ifindex;
	struct netns_config config; /* the configuration in effect */
};

/* Defaults, the corpus runner's choices: IPv4 192.168.0.1/16, remote
 * 192.0.2.1 via 192.168.0.2; IPv6 fd3d:0a0b:17d6::1/48, remote
 * fd3d:fa7b:d17d::1 via fd3d:0a0b:17d6:8888::1 (the /48 puts that gateway
 * on-link); MTU 1500; corpus routes on. */
void netns_config_default(struct netns_config *c, int family);

/* The prefix length of a contiguous IPv4 netmask such as 255.255.0.0, or
 * -1 when the mask has holes. */
int netns_prefix_from_netmask(struct in_addr mask);

/* Move the calling process into a new network namespace (and a new user
 * namespace first when not root) and set it up as c says. Call it in a
 * single-threaded child: the namespaces cannot be left again. A missing
 * privilege or device is EXIT_SKIP. On failure ns holds no open fds. */
/* Once per tcpcheck process, before its runs are forked: make the
 * namespace they will be made from (a private TCP hash for each). Does
 * nothing when it cannot. */
void netns_prepare(void);

int netns_enter(const struct netns_config *c, struct netns *ns, struct diag *d);

/* Turn tun0's offloads on (TUN_F_* flags from linux/if_tun.h, e.g.
 * TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6; TSO needs TUN_F_CSUM) or off (0).
 * They start off, so every outbound segment is captured at most MTU-sized
 * with a finished checksum. With TSO on, captured packets may be up to
 * 64 KiB and carry partial checksums (the "device" would finish them),
 * and reads from tun_fd return those same unsegmented packets since no
 * virtio-net header is negotiated. */
/* Write one IP packet to tun0 (inject it); with vnet_hdr, gso_size > 0
 * makes it, a TCP packet of the run's family, a GRO packet of segments of
 * that size. Returns 0 or -1 with errno. */
int netns_tun_write(const struct netns *ns, const void *ip, size_t len,
		    unsigned int gso_size);

int netns_tun_set_offload(const struct netns *ns, unsigned int tun_flags,
			  struct diag *d);

/* Close the fds; the namespace itself goes away with the process. */
void netns_close(struct netns *ns);

#endif
