/* The keeper: the CPU that moves jiffies on its tick.
 *
 * A kernel timer due on the next tick (a delayed ACK armed with no delay,
 * say) runs on the tick of the CPU it was armed on, once jiffies has
 * moved. On a CPU that is not the keeper, that tick's interrupt may come
 * in just before the keeper's (on virtual machines each CPU's timer
 * interrupt arrives on its own); jiffies has not moved yet, and the timer
 * waits a whole tick more: 4 ms at HZ=250, past a script's default
 * tolerance. The keeper never loses that race. packetdrill's busy-waiting
 * makes its own CPU the keeper; tcpcheck finds the keeper by watching, and
 * a run does its events there (run.c).
 *
 * The watch: one thread per usable CPU sleeps one jiffy on a kernel timer
 * of the same kind as TCP's (SO_RCVTIMEO on a quiet socket pair), over
 * and over, and counts on the coarse clock (which the keeper moves with
 * jiffies) the ticks it slept: two when on time, three or more when its
 * CPU lost the race (or the thread woke a whole tick late). The keeper is
 * never late, so a late CPU is not the keeper, then: the keeper is the
 * CPU whose last late sleep is the oldest. The duty moves now and then
 * (when the keeper's tick stops in idle); the old keeper's next late
 * sleep shows it. */
#include "keeper.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ticks.h"

#define MAX_CPUS 64
#define ENOUGH 2 /* sleeps a CPU needs before it counts */
#define WATCH_NICE (-10)

/* On a shared page: forked runs read `cpu`. */
struct keeper_page {
	atomic_int cpu;
	atomic_ullong sleeps_seen;        /* all CPUs' sleeps so far */
	atomic_ullong last_late[MAX_CPUS]; /* sleeps_seen then; 0: never */
	atomic_uint sleeps[MAX_CPUS];
};

struct watcher {
	pthread_t thread;
	int cpu;
	int sv[2]; /* the socket pair slept on; keeper_stop writes to sv[1] */
};

static struct keeper_page *page;
static pid_t owner; /* the process that watches; forked ones only read */
static struct watcher watchers[MAX_CPUS];
static int watcher_count;
static int64_t tick_ns;
static atomic_bool stopping;

bool keeper_is_late(int64_t slept_ns, int64_t tick)
{
	/* Due on the second tick after the one before arming. */
	return slept_ns > 2 * tick + tick / 2;
}

int keeper_choose(const uint64_t *last_late, const bool *enough, int cpus,
		  int current)
{
	uint64_t oldest = UINT64_MAX, newest = 0;
	int choice = -1, ties = 0;

	for (int c = 0; c < cpus; c++) {
		if (!enough[c])
			continue;
		if (last_late[c] > newest)
			newest = last_late[c];
		if (last_late[c] < oldest) {
			oldest = last_late[c];
			choice = c;
			ties = 1;
		} else if (last_late[c] == oldest) {
			ties++;
		}
	}
	if (newest == 0) /* nobody late yet: nothing known */
		return -1;
	if (ties == 1)
		return choice;
	/* Several never late (or late at once): the current keeper if it is
	 * one of them. */
	if (current >= 0 && current < cpus && enough[current] &&
	    last_late[current] == oldest)
		return current;
	return -1;
}

static int64_t coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void decide(void)
{
	uint64_t last_late[MAX_CPUS];
	bool enough[MAX_CPUS];

	for (int c = 0; c < MAX_CPUS; c++) {
		last_late[c] = atomic_load(&page->last_late[c]);
		enough[c] = atomic_load(&page->sleeps[c]) >= ENOUGH;
	}
	atomic_store(&page->cpu, keeper_choose(last_late, enough, MAX_CPUS,
					       atomic_load(&page->cpu)));
}

static void *watch(void *arg)
{
	const struct watcher *w = arg;
	struct timeval one_jiffy = {0, 1}; /* rounded up to a jiffy */
	cpu_set_t only;
	char c;

	CPU_ZERO(&only);
	CPU_SET(w->cpu, &only);
	if (pthread_setaffinity_np(pthread_self(), sizeof(only), &only))
		return NULL;
	/* A wake-up a tick late looks like a lost race: sleep as the runs
	 * do, with a heavier share (without the privilege, as it is). */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WATCH_NICE);
	if (setsockopt(w->sv[0], SOL_SOCKET, SO_RCVTIMEO, &one_jiffy,
		       sizeof(one_jiffy)))
		return NULL;
	while (!atomic_load(&stopping)) {
		int64_t armed = coarse_ns();
		ssize_t n = recv(w->sv[0], &c, 1, 0);
		uint64_t seen;

		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			continue; /* keeper_stop's byte, or a signal */
		seen = atomic_fetch_add(&page->sleeps_seen, 1) + 1;
		if (keeper_is_late(coarse_ns() - armed, tick_ns))
			atomic_store(&page->last_late[w->cpu], seen);
		atomic_fetch_add(&page->sleeps[w->cpu], 1);
		decide();
	}
	return NULL;
}

int keeper_start(void)
{
	struct timespec res;
	cpu_set_t usable;
	void *p;

	if (page && (owner != getpid() || watcher_count))
		return 0;
	if (sched_getaffinity(0, sizeof(usable), &usable) ||
	    CPU_COUNT(&usable) < 2)
		return -1;
	tick_ns = ticks_period();
	if (!tick_ns && clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0 &&
	    res.tv_sec == 0)
		tick_ns = res.tv_nsec;
	if (tick_ns <= 0)
		return -1;
	if (!page) {
		p = mmap(NULL, sizeof(*page), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -1;
		page = p;
		owner = getpid();
		atomic_store(&page->cpu, -1);
	}
	atomic_store(&stopping, false);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct watcher *w = &watchers[watcher_count];

		if (!CPU_ISSET(cpu, &usable))
			continue;
		w->cpu = cpu;
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, w->sv))
			break;
		if (pthread_create(&w->thread, NULL, watch, w)) {
			close(w->sv[0]);
			close(w->sv[1]);
			break;
		}
		watcher_count++;
	}
	return watcher_count ? 0 : -1;
}

void keeper_stop(void)
{
	static const char wake = 0;

	if (!page || owner != getpid())
		return;
	atomic_store(&stopping, true);
	for (int i = 0; i < watcher_count; i++)
		(void)!send(watchers[i].sv[1], &wake, 1, MSG_DONTWAIT);
	for (int i = 0; i < watcher_count; i++) {
		pthread_join(watchers[i].thread, NULL);
		close(watchers[i].sv[0]);
		close(watchers[i].sv[1]);
	}
	watcher_count = 0;
	/* The page stays: a run still going may read it. */
}

int keeper_cpu(void)
{
	return page ? atomic_load(&page->cpu) : -1;
}
