/* SPDX-License-Identifier: MIT */
/*
 * The multi-process test helpers (see proc.h): forked children, bounded waits, pipes and
 * the host daemon process.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "proc.h"

void tc_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

int tc_send(int fd, uint32_t v)
{
	return write(fd, &v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : -1;
}

int tc_recv(int fd, uint32_t *v, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	return read(fd, v, sizeof(*v)) == (ssize_t)sizeof(*v) ? 0 : -1;
}

pid_t tc_spawn(int (*fn)(void *arg), void *arg)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
		_exit(fn(arg));
	}
	return pid;
}

int tc_join(pid_t pid, int timeout_ms)
{
	int status;

	for (int waited = 0;; waited += 2) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (r < 0)
			return -1;
		if (waited >= timeout_ms) {
			fprintf(stderr, "child %d timed out: killed\n", (int)pid);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		tc_sleep_ms(2);
	}
}

struct host_args {
	struct pvpci_host_config cfg;
	int ready_fd, stop_fd, stop_wr;
};

static int host_main(void *arg)
{
	struct host_args *a = arg;
	struct pvpci_host *h;
	struct pvpci_log lg;
	int r;

	close(a->stop_wr); /* so that the parent closing its end stops us */
	pvpci_log_init(&lg, NULL, "host");
	lg.max_level = PVPCI_LOG_WARNING;
	a->cfg.log = &lg;
	r = pvpci_host_create(&a->cfg, &h);
	if (tc_send(a->ready_fd, r < 0 ? (uint32_t)-r : 0) < 0 || r < 0)
		return 2;
	r = pvpci_host_run(h, a->stop_fd);
	pvpci_host_destroy(h);
	return r < 0 ? 3 : 0;
}

int tc_host_start(struct tc_host *h, const struct pvpci_host_config *cfg)
{
	struct host_args a;
	int ready[2], stop[2], r;
	uint32_t err = 0;

	memset(&a, 0, sizeof(a));
	if (cfg)
		a.cfg = *cfg;
	snprintf(h->dir, sizeof(h->dir), "/tmp/pvpci-test-XXXXXX");
	if (!mkdtemp(h->dir) || pipe2(ready, O_CLOEXEC) < 0 || pipe2(stop, O_CLOEXEC) < 0)
		return -1;
	a.cfg.run_dir = h->dir;
	a.ready_fd = ready[1];
	a.stop_fd = stop[0];
	a.stop_wr = stop[1];
	h->pid = tc_spawn(host_main, &a);
	close(ready[1]);
	close(stop[0]);
	h->stop_fd = stop[1];
	r = tc_recv(ready[0], &err, TC_TIMEOUT_MS);
	close(ready[0]);
	if (r < 0 || err) {
		fprintf(stderr, "host did not start: %s\n", r < 0 ? "timeout" : strerror((int)err));
		tc_host_stop(h);
		return -1;
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

int tc_host_stop(struct tc_host *h)
{
	int r = -1;

	if (h->stop_fd >= 0)
		close(h->stop_fd);
	h->stop_fd = -1;
	if (h->pid > 0)
		r = tc_join(h->pid, TC_TIMEOUT_MS);
	h->pid = 0;
	if (h->dir[0])
		nftw(h->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return r;
}
