/* --pcap: a second capture on tun0, of both directions, that a thread of
 * its own writes to a pcap file as the packets come. The run's capture
 * (sniff.c) sees only what the stack sends and is read only when the
 * script expects a segment; this one must also hold what tcpcheck
 * injects, the packets of other connections, and what came after the
 * last expected segment, and must be on disk when --timeout kills the
 * run mid-way. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sniff_dump.h"
#include "sniff_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* The writer wakes for each packet (immediate mode), so the ring needs
 * room only for what arrives while it is descheduled: 128 frames of the
 * largest TSO packet. Only runs with --pcap pay for it. */
#define DUMP_BUFFER (8 * 1024 * 1024)

struct sniff_dump {
	pcap_t *pcap;
	pcap_dumper_t *dumper;
	int pcap_fd; /* selectable */
	int stop_fd; /* eventfd: the run is over */
	pthread_t thread;
	bool started;
	/* Written by the thread, read after pthread_join. */
	int write_errno;
	char capture_error[PCAP_ERRBUF_SIZE];
};

static void write_packet(u_char *user, const struct pcap_pkthdr *h,
			 const u_char *bytes)
{
	pcap_dump(user, h, bytes);
}

/* Everything queued now, then the file flushed. 0, or -1 with the
 * reason kept for sniff_dump_stop. */
static int dump_queued(struct sniff_dump *s)
{
	int n;

	while ((n = pcap_dispatch(s->pcap, -1, write_packet,
				  (u_char *)s->dumper)) > 0)
		;
	if (n == PCAP_ERROR) {
		snprintf(s->capture_error, sizeof(s->capture_error), "%s",
			 pcap_geterr(s->pcap));
		return -1;
	}
	if (pcap_dump_flush(s->dumper) < 0) {
		s->write_errno = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

static void *dump_thread(void *arg)
{
	struct sniff_dump *s = arg;
	struct pollfd fds[2] = {{.fd = s->pcap_fd, .events = POLLIN},
				{.fd = s->stop_fd, .events = POLLIN}};

	for (;;) {
		bool stopping;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(s->capture_error, sizeof(s->capture_error),
				 "poll: %s", strerror(errno));
			return NULL;
		}
		/* Read once more after the stop: the tear-down's packets
		 * are in the ring by the time it is asked for. */
		stopping = fds[1].revents != 0;
		if (dump_queued(s) < 0 || stopping)
			return NULL;
	}
}

static int dump_open(struct sniff_dump *s, const char *ifname, int fd,
		     struct diag *d)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	FILE *f;
	int own;
	int r;

	s->pcap = sniff_pcap_create(ifname, 0, d);
	if (!s->pcap)
		return -1;
	pcap_set_buffer_size(s->pcap, DUMP_BUFFER);
	r = pcap_activate(s->pcap);
	if (r < 0)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"--pcap: cannot capture on %s: %s", ifname,
				pcap_geterr(s->pcap));
	/* Both directions is libpcap's default; say it, the run's own
	 * capture does otherwise. */
	if (pcap_setdirection(s->pcap, PCAP_D_INOUT) < 0 ||
	    pcap_setnonblock(s->pcap, 1, err) < 0 ||
	    (s->pcap_fd = pcap_get_selectable_fd(s->pcap)) < 0)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"--pcap: cannot capture on %s: %s", ifname,
				err[0] ? err : pcap_geterr(s->pcap));
	/* Another attempt of the run may have written there before. */
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"--pcap: cannot empty the file: %s",
				strerror(errno));
	/* Our own descriptor, which fclose may close; commands the script
	 * runs must not inherit it. */
	own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	f = own < 0 ? NULL : fdopen(own, "wb");
	if (!f) {
		if (own >= 0)
			close(own);
		return diag_set(d, EXIT_INTERNAL, NULL,
				"--pcap: cannot write the file: %s",
				strerror(errno));
	}
	/* The file's header: the link type (raw IP on tun) and, with
	 * nanosecond timestamps, the magic number that says so. */
	s->dumper = pcap_dump_fopen(s->pcap, f);
	if (!s->dumper) {
		fclose(f);
		return diag_set(d, EXIT_INTERNAL, NULL,
				"--pcap: cannot write the file: %s",
				pcap_geterr(s->pcap));
	}
	if (pcap_dump_flush(s->dumper) < 0)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"--pcap: cannot write the file: %s",
				strerror(errno));
	return 0;
}

/* The thread takes no signal: they stay the run's main thread's, as
 * before there was a thread. */
static int dump_spawn(struct sniff_dump *s, struct diag *d)
{
	sigset_t all, old;
	int r;

	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->stop_fd < 0)
		return diag_set(d, EXIT_INTERNAL, NULL, "--pcap: eventfd: %s",
				strerror(errno));
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&s->thread, NULL, dump_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"--pcap: cannot start a thread: %s",
				strerror(r));
	s->started = true;
	return 0;
}

static void dump_free(struct sniff_dump *s)
{
	if (s->dumper)
		pcap_dump_close(s->dumper);
	if (s->pcap)
		pcap_close(s->pcap);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	free(s);
}

int sniff_dump_start(struct sniff_dump **out, const char *ifname, int fd,
		     struct diag *d)
{
	struct sniff_dump *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return diag_set(d, EXIT_INTERNAL, NULL, "out of memory");
	s->pcap_fd = s->stop_fd = -1;
	if (dump_open(s, ifname, fd, d) || dump_spawn(s, d)) {
		dump_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

int sniff_dump_stop(struct sniff_dump *s, struct diag *d)
{
	const uint64_t one = 1;
	struct pcap_stat st = {0};
	int rc = 0;

	if (!s)
		return 0;
	if (s->started) {
		(void)!write(s->stop_fd, &one, sizeof(one));
		pthread_join(s->thread, NULL);
	}
	if (s->capture_error[0])
		rc = diag_set(d, EXIT_INTERNAL, NULL,
			      "--pcap: the capture failed: %s",
			      s->capture_error);
	else if (s->write_errno)
		rc = diag_set(d, EXIT_INTERNAL, NULL,
			      "--pcap: cannot write the file: %s",
			      strerror(s->write_errno));
	else if (pcap_stats(s->pcap, &st) == 0 && st.ps_drop)
		rc = diag_set(d, EXIT_INTERNAL, NULL,
			      "--pcap: the file lacks %u packet(s): the "
			      "capture's ring was full",
			      st.ps_drop);
	/* pcap_dump_close says nothing of a failed write: flush first. */
	if (pcap_dump_flush(s->dumper) < 0 && !rc)
		rc = diag_set(d, EXIT_INTERNAL, NULL,
			      "--pcap: cannot write the file: %s",
			      strerror(errno));
	dump_free(s);
	return rc;
}
