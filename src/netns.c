/* The network a kernel run lives in: a private network namespace holding
 * tun0, its addresses and its routes, all set up over rtnetlink. */
#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* One page of netlink is plenty for a request and its acknowledgement. */
#define RTNL_BUF_SIZE 8192

/* What the corpus's IPv6 `ip route change` needs (corpus_routes_add). */
#define CORPUS_V6_HOST "2001:db8::1"
#define CORPUS_V6_ONLINK_NET "fd3d:fa7b:d17d::"
#define CORPUS_V6_ONLINK_PLEN 48

/* How long a new address may take to become usable (wait_local_route);
 * milliseconds in practice, more on a loaded machine. */
#define LOCAL_ROUTE_WAIT_SEC 5

struct rtnl {
	struct mnl_socket *nl;
	unsigned int portid;
	unsigned int seq;
};

void netns_config_default(struct netns_config *c, int family)
{
	memset(c, 0, sizeof(*c));
	c->family = family;
	c->mtu = 1500;
	c->corpus_routes = true;
	if (family == AF_INET6) {
		inet_pton(AF_INET6, "fd3d:0a0b:17d6::1", &c->local.v6);
		inet_pton(AF_INET6, "fd3d:fa7b:d17d::1", &c->remote.v6);
		inet_pton(AF_INET6, "fd3d:0a0b:17d6:8888::1", &c->gateway.v6);
		c->prefix_len = 48;
	} else {
		c->family = AF_INET;
		inet_pton(AF_INET, "192.168.0.1", &c->local.v4);
		inet_pton(AF_INET, "192.0.2.1", &c->remote.v4);
		inet_pton(AF_INET, "192.168.0.2", &c->gateway.v4);
		c->prefix_len = 16;
	}
}

int netns_prefix_from_netmask(struct in_addr mask)
{
	uint32_t m = ntohl(mask.s_addr);
	int len = 0;

	while (len < 32 && (m & (UINT32_C(1) << (31 - len))))
		len++;
	/* Whatever follows the leading ones must be all zeros. */
	if (len < 32 && (m << len) != 0)
		return -1;
	return len;
}

static const char *addr_str(int family, const void *addr, char *buf,
			    size_t size)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

/* Returns 0 or -errno; the whole text in one write, as /proc expects. */
static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	err = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return err;
}

static int ns_errno_status(int err)
{
	return err == ENOMEM ? EXIT_INTERNAL : EXIT_SKIP;
}

/* Be root inside the new user namespace: uid and gid 0 map to ours. The
 * setgroups file must say "deny" before an unprivileged gid_map write. */
static int map_ids(uid_t uid, gid_t gid, struct diag *d)
{
	char line[64];
	int err;

	err = write_file("/proc/self/setgroups", "deny");
	if (err < 0 && err != -ENOENT)
		goto fail;
	snprintf(line, sizeof(line), "0 %u 1\n", (unsigned int)uid);
	err = write_file("/proc/self/uid_map", line);
	if (err < 0)
		goto fail;
	snprintf(line, sizeof(line), "0 %u 1\n", (unsigned int)gid);
	err = write_file("/proc/self/gid_map", line);
	if (err < 0)
		goto fail;
	return 0;
fail:
	return diag_set(d, ns_errno_status(-err), NULL,
			"cannot map ids in a new user namespace: %s",
			strerror(-err));
}

/* The namespace runs are made from (see netns_prepare); -1: the
 * caller's own. */
static int parent_ns = -1;

/* TCP's established-socket hash is one for the whole machine unless a
 * namespace is made from one whose tcp_child_ehash_entries is set: then
 * it gets its own. Every sock_diag dump (tcp_state without an fd, a
 * closed fd's lookup) walks all of that hash's buckets, 262144 here, some
 * 200 us per dump. So the runs are made from a namespace of tcpcheck's
 * own with a small child hash; the host's sysctls stay untouched. Root
 * only (entering another namespace needs CAP_SYS_ADMIN where it lives);
 * on any failure runs come from the caller's namespace as before. */
#define CHILD_EHASH_ENTRIES "1024"

/* Making a namespace is kernel work that no one preempts (this kernel
 * runs PREEMPT_NONE, like many): several at once hold both processors
 * for milliseconds and every run going on wakes late. So the runs of one
 * tcpcheck make theirs one at a time, under an flock on a memfd of its
 * own that each run opens anew (a lock per open file, released if its
 * holder dies). -1: no lock. */
static int setup_lock = -1;

static int lock_setup(void)
{
	char path[64];
	int fd;

	if (setup_lock < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", setup_lock);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	return fd;
}

static void unlock_setup(int fd)
{
	if (fd >= 0)
		close(fd);
}

void netns_prepare(void)
{
	int self, made;

	if (setup_lock < 0)
		setup_lock = memfd_create("tcpcheck-setup", MFD_CLOEXEC);
	if (parent_ns >= 0 || geteuid() != 0)
		return;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return;
	if (unshare(CLONE_NEWNET) < 0) {
		close(self);
		return;
	}
	made = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (made >= 0 &&
	    write_file("/proc/sys/net/ipv4/tcp_child_ehash_entries",
		       CHILD_EHASH_ENTRIES) < 0) {
		close(made);
		made = -1;
	}
	if (setns(self, CLONE_NEWNET) < 0) {
		/* Stuck in the new one: it is as good a parent as any. */
		if (made >= 0)
			close(made);
		made = -1;
	}
	close(self);
	parent_ns = made;
}

/* Root (with CAP_SYS_ADMIN) needs only a network namespace; anyone else,
 * or a root without that capability, tries a user namespace around it,
 * which owns the network namespace and so grants CAP_NET_ADMIN in it. */
static int enter_namespaces(struct diag *d)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (uid == 0 && parent_ns >= 0 && setns(parent_ns, CLONE_NEWNET) == 0 &&
	    unshare(CLONE_NEWNET) == 0)
		return 0;
	if (uid == 0 && unshare(CLONE_NEWNET) == 0)
		return 0;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
		int err = errno;

		return diag_set(d, ns_errno_status(err), NULL,
				"cannot create a network namespace: %s%s",
				strerror(err),
				uid == 0 ? ""
					 : " (needs root or unprivileged user "
					   "namespaces)");
	}
	return map_ids(uid, gid, d);
}

static int rtnl_open(struct rtnl *r, struct diag *d)
{
	r->seq = (unsigned int)time(NULL);
	r->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!r->nl)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"cannot open rtnetlink: %s", strerror(errno));
	if (mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		mnl_socket_close(r->nl);
		r->nl = NULL;
		return diag_set(d, EXIT_INTERNAL, NULL,
				"cannot bind rtnetlink: %s", strerror(err));
	}
	r->portid = mnl_socket_get_portid(r->nl);
	return 0;
}

static void rtnl_close(struct rtnl *r)
{
	if (r->nl)
		mnl_socket_close(r->nl);
	r->nl = NULL;
}

/* Send one request and wait for its acknowledgement, handing any reply
 * before it to cb; 0 or -errno. */
static int rtnl_talk_cb(struct rtnl *r, struct nlmsghdr *nlh, mnl_cb_t cb,
			void *data)
{
	char buf[RTNL_BUF_SIZE];
	ssize_t n;
	int ret;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++r->seq;
	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(r->nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, r->portid, cb,
				 data);
	} while (ret == MNL_CB_OK);
	return ret == MNL_CB_ERROR ? -errno : 0;
}

static int rtnl_talk(struct rtnl *r, struct nlmsghdr *nlh)
{
	return rtnl_talk_cb(r, nlh, NULL, NULL);
}

/* Bring a link up and, when mtu is not 0, set its MTU in the same call. */
static int link_up(struct rtnl *r, unsigned int ifindex, unsigned int mtu)
{
	char buf[RTNL_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return rtnl_talk(r, nlh);
}

static size_t addr_len(int family)
{
	return family == AF_INET6 ? sizeof(struct in6_addr)
				  : sizeof(struct in_addr);
}

/* IFA_F_NODAD: no DAD probe and no tentative phase (though see
 * wait_local_route for when the address can receive). */
static int addr_add(struct rtnl *r, int family, unsigned int ifindex,
		    const union netns_addr *a, int plen)
{
	char buf[RTNL_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_prefixlen = (unsigned char)plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, addr_len(family), a);
	mnl_attr_put(nlh, IFA_ADDRESS, addr_len(family), a);
	if (family == AF_INET6)
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	return rtnl_talk(r, nlh);
}

/* A main-table unicast route to dst/plen out of ifindex, via gw unless gw
 * is NULL (on-link). No metric is given, so it gets the one `ip route`
 * would use and `ip route change` finds it. */
static int route_add(struct rtnl *r, int family, const union netns_addr *dst,
		     int plen, const union netns_addr *gw, unsigned int ifindex)
{
	char buf[RTNL_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, addr_len(family), dst);
	if (gw)
		mnl_attr_put(nlh, RTA_GATEWAY, addr_len(family), gw);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return rtnl_talk(r, nlh);
}

static int route_fail(struct diag *d, int err, int family,
		      const union netns_addr *dst, int plen,
		      const union netns_addr *gw)
{
	char dbuf[INET6_ADDRSTRLEN], gbuf[INET6_ADDRSTRLEN];
	/* A gateway the kernel cannot reach on tun0 is a bad option. */
	int bad_gw =
	    gw && (err == ENETUNREACH || err == EHOSTUNREACH || err == EINVAL);

	return diag_set(
	    d, bad_gw ? EXIT_USAGE : EXIT_INTERNAL, NULL,
	    "cannot add route to %s/%d%s%s on " NETNS_TUN_NAME ": %s",
	    addr_str(family, dst, dbuf, sizeof(dbuf)), plen, gw ? " via " : "",
	    gw ? addr_str(family, gw, gbuf, sizeof(gbuf)) : "", strerror(err));
}

/* Links come up with IPv6 on by default, and the kernel would announce
 * itself on tun0: a link-local address, then router solicitations.
 * Those packets are not the stack's answer to anything the script did,
 * so they are switched off for tun0 before it comes up. These sysctls are
 * tun0's own, in our namespace (/proc/sys/net follows the caller's
 * namespace), so nothing on the host changes. Any one of the first three
 * stops the solicitations (measured on 6.18: without them an RS leaves
 * at link-up and every 4 s after). No DAD probe or MLD report was seen
 * even with DAD on: tun0 is IFF_NOARP, so the kernel neither probes nor
 * joins solicited-node groups there; IFA_F_NODAD says so explicitly. */
static const char *const ipv6_quiet_sysctls[][2] = {
    {"addr_gen_mode", "1"},	   /* no link-local address */
    {"accept_ra", "0"},		   /* we are no host to configure */
    {"router_solicitations", "0"}, /* no RS even with an address */
    {"dad_transmits", "0"},
};

static int ipv6_quiet(int family, struct diag *d)
{
	char path[128];
	size_t n = sizeof(ipv6_quiet_sysctls) / sizeof(ipv6_quiet_sysctls[0]);

	for (size_t i = 0; i < n; i++) {
		int err;

		snprintf(path, sizeof(path),
			 "/proc/sys/net/ipv6/conf/" NETNS_TUN_NAME "/%s",
			 ipv6_quiet_sysctls[i][0]);
		err = write_file(path, ipv6_quiet_sysctls[i][1]);
		/* A kernel without IPv6 is quiet anyway, and fine for IPv4. */
		if (err == -ENOENT && family == AF_INET)
			return 0;
		if (err == -ENOENT)
			return diag_set(d, EXIT_SKIP, NULL,
					"IPv6 is not available in this kernel");
		if (err < 0)
			return diag_set(d, EXIT_INTERNAL, NULL,
					"cannot write %s: %s", path,
					strerror(-err));
	}
	return 0;
}

static int tun_errno_status(int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
	case EACCES:
	case EPERM:
		return EXIT_SKIP;
	default:
		return EXIT_INTERNAL;
	}
}

/* IFF_NO_PI: every read and write is one bare IP packet (after a struct
 * virtio_net_hdr with vnet_hdr). Non-blocking so that the drain never
 * stalls; close-on-exec so script commands do not hold tun0 open after
 * we are gone. */
static int tun_create(struct netns *ns, struct diag *d)
{
	struct ifreq ifr;
	int err;

	ns->tun_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (ns->tun_fd < 0) {
		err = errno;
		return diag_set(d, tun_errno_status(err), NULL,
				"cannot open /dev/net/tun: %s", strerror(err));
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (ns->config.vnet_hdr)
		ifr.ifr_flags |= IFF_VNET_HDR;
	memcpy(ifr.ifr_name, NETNS_TUN_NAME, sizeof(NETNS_TUN_NAME));
	if (ioctl(ns->tun_fd, TUNSETIFF, &ifr) < 0) {
		err = errno;
		return diag_set(d, tun_errno_status(err), NULL,
				"cannot create " NETNS_TUN_NAME ": %s",
				strerror(err));
	}
	ns->tun_ifindex = if_nametoindex(NETNS_TUN_NAME);
	if (ns->tun_ifindex == 0)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"cannot find " NETNS_TUN_NAME ": %s",
				strerror(errno));
	return 0;
}

/* The corpus was written against other addresses than the ones it is run
 * with: tcp/mtu_probe/basic-v6.pkt runs
 *   ip -6 route change 2001:DB8::1 via fd3d:fa7b:d17d:8888::0 dev tun0 ...
 * A change needs an existing route with the same destination and metric
 * (else ENOENT), and its new gateway must be on-link on tun0 (else
 * EHOSTUNREACH, checked first). So: fd3d:fa7b:d17d::/48 (the default
 * remote's network) on-link on tun0, and 2001:db8::1/128 via our gateway.
 * Neither carries the test's traffic; they only let the command succeed.
 * The IPv4 twin (`ip route change 192.0.2.1 via 192.168.0.2 dev tun0`)
 * changes the remote route itself and needs nothing extra. */
static int corpus_routes_add(struct rtnl *r, const struct netns *ns,
			     struct diag *d)
{
	const struct netns_config *c = &ns->config;
	union netns_addr net, host;
	int err;

	if (c->family != AF_INET6 || !c->corpus_routes)
		return 0;
	inet_pton(AF_INET6, CORPUS_V6_ONLINK_NET, &net.v6);
	inet_pton(AF_INET6, CORPUS_V6_HOST, &host.v6);
	err = route_add(r, AF_INET6, &net, CORPUS_V6_ONLINK_PLEN, NULL,
			ns->tun_ifindex);
	/* EEXIST: the configuration already made that network on-link. */
	if (err < 0 && err != -EEXIST)
		return route_fail(d, -err, AF_INET6, &net,
				  CORPUS_V6_ONLINK_PLEN, NULL);
	err = route_add(r, AF_INET6, &host, 128, &c->gateway, ns->tun_ifindex);
	if (err < 0 && err != -EEXIST)
		return route_fail(d, -err, AF_INET6, &host, 128, &c->gateway);
	return 0;
}

static int route_type_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == RTM_NEWROUTE &&
	    mnl_nlmsg_get_payload_len(nlh) >= sizeof(*rtm))
		*(int *)data = rtm->rtm_type;
	return MNL_CB_OK;
}

/* The kind of route a lookup of addr finds (RTN_LOCAL, RTN_UNICAST...),
 * like `ip route get`; -errno when the lookup fails. */
static int route_lookup_type(struct rtnl *r, int family,
			     const union netns_addr *addr)
{
	char buf[RTNL_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	int type = -1, err;

	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = family == AF_INET6 ? 128 : 32;
	mnl_attr_put(nlh, RTA_DST, addr_len(family), addr);
	err = rtnl_talk_cb(r, nlh, route_type_cb, &type);
	return err < 0 ? err : type;
}

/* The kernel acknowledges a new IPv6 address before it can receive on
 * it: the local route that delivers packets to it is inserted later,
 * from a workqueue, even with IFA_F_NODAD. A SYN injected in between is
 * dropped (Ip6InAddrErrors), so wait until a lookup of the local address
 * finds that route. IPv4 inserts its local route synchronously; the
 * first lookup says so. */
static int wait_local_route(struct rtnl *r, const struct netns_config *c,
			    struct diag *d)
{
	struct timespec now, end, pause = {0, 1000000};
	char buf[INET6_ADDRSTRLEN];
	int type;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += LOCAL_ROUTE_WAIT_SEC;
	for (;;) {
		type = route_lookup_type(r, c->family, &c->local);
		if (type == RTN_LOCAL)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			break;
		nanosleep(&pause, NULL);
	}
	return diag_set(d, EXIT_INTERNAL, NULL,
			"%s on " NETNS_TUN_NAME " is not usable after %d s: %s",
			addr_str(c->family, &c->local, buf, sizeof(buf)),
			LOCAL_ROUTE_WAIT_SEC,
			type < 0 ? strerror(-type) : "no local route");
}

/* tun0 up with its MTU, the local address, and the remote host route. */
static int tun_configure(struct rtnl *r, const struct netns *ns, struct diag *d)
{
	const struct netns_config *c = &ns->config;
	int host_len = c->family == AF_INET6 ? 128 : 32;
	char buf[INET6_ADDRSTRLEN];
	int err;

	if (ipv6_quiet(c->family, d) < 0)
		return -1;
	err = link_up(r, ns->tun_ifindex, c->mtu);
	if (err < 0)
		return diag_set(
		    d, err == -EINVAL ? EXIT_USAGE : EXIT_INTERNAL, NULL,
		    "cannot bring " NETNS_TUN_NAME " up with MTU %u: %s",
		    c->mtu, strerror(-err));
	err = addr_add(r, c->family, ns->tun_ifindex, &c->local, c->prefix_len);
	if (err < 0)
		return diag_set(
		    d, EXIT_INTERNAL, NULL,
		    "cannot add %s/%d to " NETNS_TUN_NAME ": %s",
		    addr_str(c->family, &c->local, buf, sizeof(buf)),
		    c->prefix_len, strerror(-err));
	err = route_add(r, c->family, &c->remote, host_len, &c->gateway,
			ns->tun_ifindex);
	if (err < 0)
		return route_fail(d, -err, c->family, &c->remote, host_len,
				  &c->gateway);
	if (corpus_routes_add(r, ns, d) < 0)
		return -1;
	return wait_local_route(r, c, d);
}

static int config_check(const struct netns_config *c, struct diag *d)
{
	int max_plen = c->family == AF_INET6 ? 128 : 32;

	if (c->family != AF_INET && c->family != AF_INET6)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"netns: unknown address family %d", c->family);
	if (c->prefix_len < 0 || c->prefix_len > max_plen)
		return diag_set(d, EXIT_USAGE, NULL,
				"bad prefix length %d for the local address",
				c->prefix_len);
	return 0;
}

int netns_enter(const struct netns_config *c, struct netns *ns, struct diag *d)
{
	struct rtnl r = {0};
	int err, lock;

	ns->tun_fd = -1;
	ns->tun_ifindex = 0;
	ns->config = *c;
	if (ns->config.mtu == 0)
		ns->config.mtu = 1500;
	if (config_check(c, d) < 0)
		return -1;
	lock = lock_setup();
	if (enter_namespaces(d) < 0 || rtnl_open(&r, d) < 0) {
		unlock_setup(lock);
		return -1;
	}
	/* lo first: a stack with a dead loopback misbehaves in odd places. */
	err = link_up(&r, if_nametoindex("lo"), 0);
	if (err < 0) {
		diag_set(d, EXIT_INTERNAL, NULL, "cannot bring lo up: %s",
			 strerror(-err));
		goto fail;
	}
	if (tun_create(ns, d) < 0 || tun_configure(&r, ns, d) < 0)
		goto fail;
	rtnl_close(&r);
	unlock_setup(lock);
	return 0;
fail:
	rtnl_close(&r);
	unlock_setup(lock);
	netns_close(ns);
	return -1;
}

int netns_tun_write(const struct netns *ns, const void *ip, size_t len,
		    unsigned int gso_size)
{
	struct virtio_net_hdr h;
	struct iovec v[2];
	ssize_t n;

	if (!ns->config.vnet_hdr) {
		n = write(ns->tun_fd, ip, len);
		return n == (ssize_t)len ? 0 : -1;
	}
	/* No checksum to fill in, no offsets: the packet is complete. A
	 * TCP packet with gso_size is a GRO packet; the kernel counts its
	 * segments (a packet no longer than gso_size is no GSO one). */
	memset(&h, 0, sizeof(h));
	if (gso_size) {
		h.gso_type = ns->config.family == AF_INET
				     ? VIRTIO_NET_HDR_GSO_TCPV4
				     : VIRTIO_NET_HDR_GSO_TCPV6;
		h.gso_size = (uint16_t)gso_size;
	}
	v[0].iov_base = &h;
	v[0].iov_len = sizeof(h);
	v[1].iov_base = (void *)ip;
	v[1].iov_len = len;
	n = writev(ns->tun_fd, v, 2);
	if (n < 0)
		return -1;
	if (n != (ssize_t)(sizeof(h) + len)) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int netns_tun_set_offload(const struct netns *ns, unsigned int tun_flags,
			  struct diag *d)
{
	if (ioctl(ns->tun_fd, TUNSETOFFLOAD, (unsigned long)tun_flags) < 0)
		return diag_set(
		    d, errno == EINVAL ? EXIT_USAGE : EXIT_INTERNAL, NULL,
		    "cannot set offloads 0x%x on " NETNS_TUN_NAME ": %s",
		    tun_flags, strerror(errno));
	return 0;
}

void netns_close(struct netns *ns)
{
	if (ns->tun_fd >= 0)
		close(ns->tun_fd);
	ns->tun_fd = -1;
}
