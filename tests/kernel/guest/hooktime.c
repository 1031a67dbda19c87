/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hooktime: runs a command the way Proxmox runs a hookscript (its stdout into
 * a pipe read until EOF) and says when things happened, for the kernel
 * bench's hung-driver-remove scenario. Built static by bench.sh for the guest.
 *
 *   hooktime [-k TEXT] [-l LIMIT_MS] OUTFILE -- COMMAND [ARGS...]
 *
 * The command's stdout is copied to OUTFILE, its stderr goes to OUTFILE.err.
 * With -k, /dev/kmsg is watched from now on and the first kernel message
 * containing TEXT marks the moment of the write (e.g. a driver's "remove()"
 * line). Prints key=value lines, all times in ms on CLOCK_MONOTONIC from the
 * start, -1 for what did not happen within LIMIT_MS (default 60000):
 *   rc  exit_ms  eof_ms  write_ms  write_to_exit_ms  write_to_eof_ms
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int usage(void)
{
	fprintf(stderr, "usage: hooktime [-k TEXT] [-l LIMIT_MS] OUTFILE -- COMMAND [ARGS...]\n");
	return 2;
}

/* Reads the kernel messages that arrived; true when one contains text. */
static int kmsg_saw(int fd, const char *text)
{
	char rec[8192];
	ssize_t n;
	int seen = 0;
	/* one record per read; EPIPE when records were overwritten: go on */
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		if (strstr(rec, text))
			seen = 1;
	}
	return seen;
}

static pid_t start(char **argv, int out_fd, const char *errfile)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* O_CLOEXEC: the command gets 0-2 and nothing else of ours */
	int err = open(errfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	dup2(null, 0);
	dup2(out_fd, 1);
	dup2(err, 2);
	execv(argv[0], argv);
	_exit(127);
}

int main(int argc, char **argv)
{
	const char *watch = NULL;
	long limit = 60000;
	int opt;
	while ((opt = getopt(argc, argv, "+k:l:")) != -1) {
		if (opt == 'k')
			watch = optarg;
		else if (opt == 'l')
			limit = atol(optarg);
		else
			return usage();
	}
	if (argc - optind < 3 || strcmp(argv[optind + 1], "--"))
		return usage();
	const char *outfile = argv[optind];
	char errfile[4096];
	snprintf(errfile, sizeof(errfile), "%s.err", outfile);
	FILE *out = fopen(outfile, "we");
	int kmsg = watch ? open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
	if (!out || (watch && kmsg < 0))
		return perror("hooktime"), 2;
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return perror("pipe"), 2;
	long t0 = now_ms(), exit_ms = -1, eof_ms = -1, write_ms = -1;
	int rc = -1;
	pid_t pid = start(argv + optind + 2, pfd[1], errfile);
	close(pfd[1]);
	while (now_ms() - t0 < limit && (exit_ms < 0 || eof_ms < 0)) {
		struct pollfd p[2] = { { .fd = eof_ms < 0 ? pfd[0] : -1, .events = POLLIN },
				       { .fd = kmsg, .events = POLLIN } };
		poll(p, 2, 5);
		if (p[0].revents) {
			char buf[4096];
			ssize_t n = read(pfd[0], buf, sizeof(buf));
			if (n > 0)
				fwrite(buf, 1, (size_t)n, out);
			else if (n == 0)
				eof_ms = now_ms() - t0;
		}
		if (kmsg >= 0 && write_ms < 0 && kmsg_saw(kmsg, watch))
			write_ms = now_ms() - t0;
		int status;
		if (exit_ms < 0 && waitpid(pid, &status, WNOHANG) == pid) {
			exit_ms = now_ms() - t0;
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
	}
	if (exit_ms < 0)
		kill(pid, SIGKILL);
	fclose(out);
	printf("rc=%d\nexit_ms=%ld\neof_ms=%ld\nwrite_ms=%ld\n", rc, exit_ms, eof_ms, write_ms);
	printf("write_to_exit_ms=%ld\n", write_ms >= 0 && exit_ms >= 0 ? exit_ms - write_ms : -1);
	printf("write_to_eof_ms=%ld\n", write_ms >= 0 && eof_ms >= 0 ? eof_ms - write_ms : -1);
	return 0;
}
