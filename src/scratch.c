/* The run's private view of /tmp. packetdrill's corpus writes
 * /tmp/sysctl_restore_<pid>.sh in every run that changes a sysctl and
 * never removes it: thousands of files after a day of batches. An
 * overlay keeps such files with the run: lower = the host's /tmp (read
 * as it is: scripts and their helpers may live there), upper = a tmpfs
 * mounted first on /tmp itself, under the overlay. */
#include "scratch.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

int scratch_private_tmp(void)
{
	char opts[160];
	int lower, e;

	if (unshare(CLONE_NEWNS) < 0)
		return -1;
	/* Nothing mounted here may show in the host's namespace. */
	if (mount("none", "/", "none", MS_REC | MS_SLAVE, NULL) < 0)
		return -1;
	/* The host's /tmp, held before the tmpfs covers it. */
	lower = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (lower < 0)
		return -1;
	if (mount("tcpcheck", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0755") < 0)
		goto fail;
	if (mkdir("/tmp/upper", 01777) < 0 || chmod("/tmp/upper", 01777) < 0 ||
	    mkdir("/tmp/work", 0700) < 0)
		goto fail_umount;
	snprintf(opts, sizeof(opts),
		 "lowerdir=/proc/self/fd/%d,upperdir=/tmp/upper,"
		 "workdir=/tmp/work",
		 lower);
	if (mount("overlay", "/tmp", "overlay", MS_NOSUID | MS_NODEV, opts) <
	    0)
		goto fail_umount;
	close(lower);
	return 0;
fail_umount:
	e = errno;
	umount2("/tmp", MNT_DETACH);
	errno = e;
fail:
	e = errno;
	close(lower);
	errno = e;
	return -1;
}
