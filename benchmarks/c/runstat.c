/*
 * runstat: run a command and report its wall time, CPU and peak RSS as one JSON line.
 * Used for the command-line ceilings (curl, wrk, h2load) whose own output has no CPU figures.
 *   runstat OUTFILE TIMEOUT_S -- cmd args...
 * The JSON goes to OUTFILE so the command keeps stdout and stderr. The child is killed
 * (SIGKILL to its process group) when TIMEOUT_S passes.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t child;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig) {
  (void)sig;
  timed_out = 1;
  if (child > 0) kill(-child, SIGKILL);
}

static void on_term(int sig) {
  if (child > 0) kill(-child, SIGKILL);
  signal(sig, SIG_DFL);
  raise(sig);
}

int main(int argc, char **argv) {
  if (argc < 5 || strcmp(argv[3], "--")) {
    fprintf(stderr, "usage: runstat OUTFILE TIMEOUT_S -- cmd args...\n");
    return 2;
  }
  const char *out = argv[1];
  double timeout = atof(argv[2]);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  child = fork();
  if (child < 0) { perror("fork"); return 2; }
  if (child == 0) {
    setpgid(0, 0);
    execvp(argv[4], argv + 4);
    perror("execvp");
    _exit(127);
  }
  setpgid(child, child);
  signal(SIGALRM, on_alarm);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  struct itimerval it = {{0, 0}, {(long)timeout, (long)((timeout - (long)timeout) * 1e6)}};
  setitimer(ITIMER_REAL, &it, NULL);
  int status = 0;
  struct rusage ru;
  while (wait4(child, &status, 0, &ru) < 0) {}
  clock_gettime(CLOCK_MONOTONIC, &t1);
  FILE *f = fopen(out, "w");
  if (!f) { perror(out); return 2; }
  fprintf(f, "{\"wall_s\":%.6f,\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,\"max_rss_mb\":%.1f,\"exit\":%d,\"signal\":%d,\"timed_out\":%s}\n",
          (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
          ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
          ru.ru_maxrss / 1024.0, WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
          timed_out ? "true" : "false");
  fclose(f);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
