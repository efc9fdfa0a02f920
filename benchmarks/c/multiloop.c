/*
 * multiloop: the "libcurl engine" ceiling for the curl-net benchmarks.
 *
 * One thread, one CURLM, C easy handles kept busy in a closed loop (each finished handle is
 * re-armed with the next request), so C requests are always in flight. No JavaScript and no
 * thread hop: this is what libcurl alone costs on this machine, with the same system libcurl
 * the addon links.
 *
 * Prints one JSON object on stdout. Build: gcc -O2 -Wall -o multiloop multiloop.c -lcurl
 *
 * Options (multiloop --version prints curl_version() and exits):
 *   --url URL            target (required)
 *   --n N                measured requests (default 10000)
 *   --c C                requests in flight, and CURLMOPT_MAX_HOST_CONNECTIONS (default 1)
 *   --warmup W           requests before the measured phase (default 0)
 *   --h2                 HTTP/2 over TLS (CURL_HTTP_VERSION_2TLS, multiplexing, PIPEWAIT)
 *   --bufsize B          CURLOPT_BUFFERSIZE (default: libcurl's 16 KiB)
 *   --expect B           expected body bytes per request (gate; -1 = don't check)
 *   --upload B           POST B bytes per request, chunked (Transfer-Encoding: chunked)
 *   --chunk B            upload read size (default 65536)
 *   --cacert FILE        CA bundle for TLS
 *   --proxy URL          HTTP proxy; https:// targets are tunnelled with CONNECT
 *   --fresh              new connection (and full TLS handshake) per request
 *   --duration S         stop starting new measured requests after S seconds (the run stays valid)
 *   --timeout S          wall-clock limit for the whole run (default 120); hitting it fails the run
 *   --server-pids a,b    sample these processes' CPU around the measured phase
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  CURL *easy;
  long long bytes;       /* response body bytes */
  long long up_sent;     /* upload bytes handed to libcurl */
  char resp[64];         /* first bytes of the body (upload sink answers the byte count) */
  size_t resp_len;
  double start;
  int measured;
  struct curl_slist *headers;
} slot_t;

static struct {
  const char *url;
  long n, c, warmup;
  int h2;
  long bufsize;
  long long expect;
  long long upload;
  long chunk;
  const char *cacert;
  const char *proxy;
  int fresh;
  double timeout;
  double duration;
  char *server_pids;
  /* --header LINE (repeatable) and --accept-encoding LIST: to send what another client sends */
  const char *headers[32];
  int nheaders;
  const char *accept_encoding;
} opt = {NULL, 10000, 1, 0, 0, 0, -1, 0, 65536, NULL, NULL, 0, 120.0, 0, NULL, {NULL}, 0, NULL};

static char *upload_buf;
static double *lat;
static long lat_n;
static long errors;
static char first_error[512];

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(struct rusage *ru) {
  return ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 + ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
}

/* utime + stime (clock ticks) of each pid in the comma-separated list; returns how many */
static int server_ticks(long long *out, int max) {
  if (!opt.server_pids) return 0;
  int k = 0;
  char *list = strdup(opt.server_pids), *save = NULL;
  for (char *p = strtok_r(list, ",", &save); p && k < max; p = strtok_r(NULL, ",", &save)) {
    char path[64], buf[1024];
    out[k] = 0;
    snprintf(path, sizeof path, "/proc/%s/stat", p);
    FILE *f = fopen(path, "r");
    if (f) {
      size_t len = fread(buf, 1, sizeof buf - 1, f);
      fclose(f);
      buf[len] = 0;
      char *q = strrchr(buf, ')');
      unsigned long long ut = 0, st = 0;
      /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
      if (q && sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2) out[k] = ut + st;
    }
    k++;
  }
  free(list);
  return k;
}

/* machine-wide jiffies from /proc/stat: busy (user nice system irq softirq) and steal */
static void machine_ticks(long long *busy, long long *steal) {
  unsigned long long v[10] = {0};
  FILE *f = fopen("/proc/stat", "r");
  *busy = *steal = 0;
  if (!f) return;
  if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
    *busy = v[0] + v[1] + v[2] + v[5] + v[6];
    *steal = v[7];
  }
  fclose(f);
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
  slot_t *s = userdata;
  size_t n = size * nmemb;
  if (s->resp_len < sizeof s->resp - 1) {
    size_t k = n < sizeof s->resp - 1 - s->resp_len ? n : sizeof s->resp - 1 - s->resp_len;
    memcpy(s->resp + s->resp_len, ptr, k);
    s->resp_len += k;
  }
  s->bytes += n;
  return n;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *userdata) {
  slot_t *s = userdata;
  long long left = opt.upload - s->up_sent;
  size_t n = size * nitems;
  if ((long long)n > left) n = (size_t)left;
  if ((long)n > opt.chunk) n = (size_t)opt.chunk;
  memcpy(buf, upload_buf, n);
  s->up_sent += n;
  return n;
}

static void note_error(const char *msg) {
  errors++;
  if (!first_error[0]) snprintf(first_error, sizeof first_error, "%s", msg);
}

static void arm(CURLM *multi, slot_t *s, int measured) {
  s->bytes = 0;
  s->up_sent = 0;
  s->resp_len = 0;
  s->measured = measured;
  s->start = now_s();
  curl_multi_add_handle(multi, s->easy);
}

static void setup_easy(slot_t *s) {
  CURL *e = curl_easy_init();
  s->easy = e;
  curl_easy_setopt(e, CURLOPT_URL, opt.url);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PRIVATE, s);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
  curl_easy_setopt(e, CURLOPT_PROXY, opt.proxy ? opt.proxy : "");
  if (opt.bufsize > 0) curl_easy_setopt(e, CURLOPT_BUFFERSIZE, opt.bufsize);
  if (opt.h2) {
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  }
  if (opt.cacert) curl_easy_setopt(e, CURLOPT_CAINFO, opt.cacert);
  if (opt.fresh) {
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
  }
  for (int i = 0; i < opt.nheaders; i++) s->headers = curl_slist_append(s->headers, opt.headers[i]);
  if (opt.accept_encoding) curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, opt.accept_encoding);
  if (opt.nheaders > 0 && opt.upload <= 0) curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
  if (opt.upload > 0) {
    s->headers = curl_slist_append(s->headers, "Transfer-Encoding: chunked");
    s->headers = curl_slist_append(s->headers, "Expect:");
    s->headers = curl_slist_append(s->headers, "Content-Type: application/octet-stream");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(e, CURLOPT_READDATA, s);
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, opt.chunk > 16384 ? opt.chunk : 16384L);
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(double *v, long n, double p) {
  if (n == 0) return -1;
  long i = (long)(p * (n - 1) + 0.5);
  return v[i];
}

/* Runs `total` requests with opt.c in flight; returns the number completed. */
static int capped;

static long run_phase(CURLM *multi, slot_t *slots, long total, int measured, double deadline, int *timed_out) {
  long started = 0, done = 0;
  double stop_at = measured && opt.duration > 0 ? now_s() + opt.duration : 1e300;
  long c = opt.c < total ? opt.c : total;
  for (long i = 0; i < c; i++) { arm(multi, &slots[i], measured); started++; }
  while (done < total) {
    int running = 0, numfds = 0, msgs = 0;
    curl_multi_perform(multi, &running);
    CURLMsg *m;
    while ((m = curl_multi_info_read(multi, &msgs))) {
      if (m->msg != CURLMSG_DONE) continue;
      slot_t *s = NULL;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
      CURLcode rc = m->data.result;
      double end = now_s();
      long status = 0;
      curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
      curl_multi_remove_handle(multi, s->easy);
      char msg[400];
      if (rc != CURLE_OK) {
        snprintf(msg, sizeof msg, "curl %d: %s", rc, curl_easy_strerror(rc));
        note_error(msg);
      } else if (status < 200 || status > 299) {
        snprintf(msg, sizeof msg, "HTTP status %ld", status);
        note_error(msg);
      } else if (opt.expect >= 0 && s->bytes != opt.expect) {
        snprintf(msg, sizeof msg, "body %lld bytes, expected %lld", s->bytes, opt.expect);
        note_error(msg);
      } else if (opt.upload > 0) {
        s->resp[s->resp_len] = 0;
        if (atoll(s->resp) != opt.upload) {
          snprintf(msg, sizeof msg, "sink counted %s bytes, sent %lld", s->resp, opt.upload);
          note_error(msg);
        }
      }
      if (s->measured && lat_n < opt.n) lat[lat_n++] = end - s->start;
      done++;
      if (started < total && end >= stop_at) { capped = 1; total = started; }
      if (started < total && end < deadline) { arm(multi, s, measured); started++; }
    }
    if (now_s() > deadline) { *timed_out = 1; break; }
    if (errors > 1000) break;
    if (done >= total || (started == done)) break;
    curl_multi_poll(multi, NULL, 0, 100, &numfds);
  }
  return done;
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--version")) { printf("%s\n", curl_version()); return 0; }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKE(name) (!strcmp(a, name) && v && ++i)
    if (TAKE("--url")) opt.url = v;
    else if (TAKE("--n")) opt.n = atol(v);
    else if (TAKE("--c")) opt.c = atol(v);
    else if (TAKE("--warmup")) opt.warmup = atol(v);
    else if (!strcmp(a, "--h2")) opt.h2 = 1;
    else if (TAKE("--bufsize")) opt.bufsize = atol(v);
    else if (TAKE("--expect")) opt.expect = atoll(v);
    else if (TAKE("--upload")) opt.upload = atoll(v);
    else if (TAKE("--chunk")) opt.chunk = atol(v);
    else if (TAKE("--cacert")) opt.cacert = v;
    else if (TAKE("--proxy")) opt.proxy = v;
    else if (!strcmp(a, "--fresh")) opt.fresh = 1;
    else if (TAKE("--timeout")) opt.timeout = atof(v);
    else if (TAKE("--duration")) opt.duration = atof(v);
    else if (TAKE("--server-pids")) opt.server_pids = strdup(v);
    else if (TAKE("--header")) { if (opt.nheaders < 32) opt.headers[opt.nheaders++] = v; }
    else if (TAKE("--accept-encoding")) opt.accept_encoding = v;
    else { fprintf(stderr, "multiloop: unknown or incomplete option %s\n", a); return 2; }
  }
  if (!opt.url || opt.n < 1 || opt.c < 1) { fprintf(stderr, "multiloop: --url, --n >= 1 and --c >= 1 are required\n"); return 2; }

  curl_global_init(CURL_GLOBAL_ALL);
  upload_buf = malloc(opt.chunk);
  memset(upload_buf, 'x', opt.chunk);
  lat = calloc(opt.n, sizeof(double));
  CURLM *multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, opt.c);
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, opt.c > 4 ? opt.c : 4L);
  curl_multi_setopt(multi, CURLMOPT_PIPELINING, opt.h2 ? (long)CURLPIPE_MULTIPLEX : (long)CURLPIPE_NOTHING);
  if (opt.h2) curl_multi_setopt(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, opt.c);

  slot_t *slots = calloc(opt.c, sizeof(slot_t));
  for (long i = 0; i < opt.c; i++) setup_easy(&slots[i]);

  double t_begin = now_s();
  double deadline = t_begin + opt.timeout;
  int timed_out = 0;
  if (opt.warmup > 0) run_phase(multi, slots, opt.warmup, 0, deadline, &timed_out);
  long warm_errors = errors;

  struct rusage ru0, ru1;
  long long srv0[8], srv1[8], busy0, busy1, steal0, steal1;
  int nsrv = server_ticks(srv0, 8);
  machine_ticks(&busy0, &steal0);
  getrusage(RUSAGE_SELF, &ru0);
  double t0 = now_s();
  long done = timed_out ? 0 : run_phase(multi, slots, opt.n, 1, deadline, &timed_out);
  double t1 = now_s();
  getrusage(RUSAGE_SELF, &ru1);
  server_ticks(srv1, 8);
  machine_ticks(&busy1, &steal1);

  qsort(lat, lat_n, sizeof(double), cmp_double);
  double wall = t1 - t0;
  long long body_bytes = 0;
  if (opt.expect > 0) body_bytes = opt.expect * done;
  (void)body_bytes;
  double cpu = cpu_s(&ru1) - cpu_s(&ru0);
  long tck = sysconf(_SC_CLK_TCK);

  printf("{\"ok\":%s,\"requests\":%ld,\"capped\":%s,\"wall_s\":%.6f,\"rps\":%.1f,",
         (errors == 0 && !timed_out && (done == opt.n || capped)) ? "true" : "false", done, capped ? "true" : "false", wall,
         done / wall);
  if (opt.expect > 0) printf("\"mib_s\":%.2f,", body_bytes / wall / 1048576.0);
  if (opt.upload > 0) printf("\"mib_s\":%.2f,", (double)opt.upload * done / wall / 1048576.0);
  printf("\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"max_ms\":%.4f,", pct(lat, lat_n, 0.5) * 1e3, pct(lat, lat_n, 0.99) * 1e3,
         lat_n ? lat[lat_n - 1] * 1e3 : -1.0);
  printf("\"cpu_s\":%.6f,\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,\"cpu_us_per_req\":%.2f,",
         cpu, (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6,
         (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6,
         done ? cpu / done * 1e6 : -1.0);
  printf("\"threads\":{\"main_s\":%.6f,\"curl_s\":0,\"other_s\":0},", cpu);
  printf("\"max_rss_mb\":%.1f,", ru1.ru_maxrss / 1024.0);
  printf("\"server_cpu_pct\":[");
  double srv_total = 0;
  for (int k = 0; k < nsrv; k++) {
    double pctk = (srv1[k] - srv0[k]) * 100.0 / tck / wall;
    srv_total += (srv1[k] - srv0[k]) / (double)tck;
    printf("%s%.1f", k ? "," : "", pctk);
  }
  printf("],");
  double busy_s = (busy1 - busy0) / (double)tck;
  printf("\"machine\":{\"busy_pct\":%.1f,\"steal_pct\":%.1f,\"foreign_pct\":%.1f},", busy_s * 100.0 / wall,
         (steal1 - steal0) * 100.0 / tck / wall, (busy_s - cpu - srv_total) * 100.0 / wall);
  printf("\"errors\":%ld,\"warmup_errors\":%ld,\"timed_out\":%s,\"first_error\":\"", errors - warm_errors, warm_errors,
         timed_out ? "true" : "false");
  for (const char *p = first_error; *p; p++) {
    if (*p == '"' || *p == '\\') putchar('\\');
    if ((unsigned char)*p >= 0x20) putchar(*p);
  }
  printf("\",\"libcurl\":\"%s\"}\n", curl_version());

  for (long i = 0; i < opt.c; i++) { curl_easy_cleanup(slots[i].easy); curl_slist_free_all(slots[i].headers); }
  curl_multi_cleanup(multi);
  curl_global_cleanup();
  return 0;
}
