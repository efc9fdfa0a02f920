/* glibc compatibility for the bundled (prebuilt) addon: lets a binary linked on a new glibc
   (Debian 12: 2.36) load on glibc 2.28 (RHEL 8, Debian 10, Ubuntu 20.04 and everything newer).

   Every symbol glibc gave a new version after 2.28 is routed here with `-Wl,--wrap=NAME`, which
   rewrites the references in EVERY object of the link: our code, the static libcurl, OpenSSL,
   nghttp2, zstd, brotli, zlib, and the static libstdc++/libgcc. scripts/bundled/bundled.cmake
   derives the --wrap list from the wrapper definitions in this file, so the two cannot drift,
   and scripts/bundled/check-binary.sh fails the build when anything newer than the floor is
   still referenced. Each wrapper calls the OLD version of the same glibc function (bound with
   .symver), which every glibc since then still exports, so the binary behaves the same on new
   and old systems:
     - pthread_* and dl* moved from libpthread/libdl into libc in 2.34 and got new versions
       there; the old versions are the same functions. On a glibc older than 2.34 they live in
       libpthread.so.0/libdl.so.2, which the addon lists in NEEDED for that reason (the dynamic
       loader looks a versioned symbol up by version name in every object in scope).
     - stat/fstat became real functions in 2.33; before, <sys/stat.h> turned them into calls to
       __xstat/__fxstat with the structure version, which glibc still exports.
     - __libc_single_threaded (2.32) only lets libstdc++ skip atomic reference counting while
       the process has one thread; "not single-threaded" (0) is always correct.
     - arc4random* (2.36) are getrandom() (2.25) underneath.
     - _dl_find_object (2.35) is how libgcc's unwinder finds the .eh_frame_hdr of the object a
       return address belongs to when a C++ exception is thrown; dl_iterate_phdr gives the same
       answer (it is what libgcc used before 2.35).
   Only x86_64 and aarch64 Linux are supported (the targets in docs/building.md). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__)
#define CN_GLIBC_BASE "GLIBC_2.2.5"
#define CN_STAT_VER 1 /* _STAT_VER_LINUX */
#elif defined(__aarch64__)
#define CN_GLIBC_BASE "GLIBC_2.17"
#define CN_STAT_VER 0 /* _STAT_VER_KERNEL, the only one of the generic ABI */
#else
#error "glibc-compat.c knows the old symbol versions of x86_64 and aarch64 only"
#endif

#define CN_HIDDEN __attribute__((visibility("hidden")))
/* Declares cn_old_NAME as NAME@VERSION, the version a 2.28-era binary was linked against. */
#define CN_OLD(name, version) __asm__(".symver cn_old_" #name "," #name "@" version)

/* --- pthread: GLIBC_2.34 in libc, before that the base version in libpthread.so.0 --------- */
CN_OLD(pthread_create, CN_GLIBC_BASE);
CN_OLD(pthread_detach, CN_GLIBC_BASE);
CN_OLD(pthread_join, CN_GLIBC_BASE);
CN_OLD(pthread_once, CN_GLIBC_BASE);
CN_OLD(pthread_key_create, CN_GLIBC_BASE);
CN_OLD(pthread_key_delete, CN_GLIBC_BASE);
CN_OLD(pthread_getspecific, CN_GLIBC_BASE);
CN_OLD(pthread_setspecific, CN_GLIBC_BASE);
CN_OLD(pthread_rwlock_init, CN_GLIBC_BASE);
CN_OLD(pthread_rwlock_destroy, CN_GLIBC_BASE);
CN_OLD(pthread_rwlock_rdlock, CN_GLIBC_BASE);
CN_OLD(pthread_rwlock_wrlock, CN_GLIBC_BASE);
CN_OLD(pthread_rwlock_unlock, CN_GLIBC_BASE);
int cn_old_pthread_create(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
int cn_old_pthread_detach(pthread_t);
int cn_old_pthread_join(pthread_t, void **);
int cn_old_pthread_once(pthread_once_t *, void (*)(void));
int cn_old_pthread_key_create(pthread_key_t *, void (*)(void *));
int cn_old_pthread_key_delete(pthread_key_t);
void *cn_old_pthread_getspecific(pthread_key_t);
int cn_old_pthread_setspecific(pthread_key_t, const void *);
int cn_old_pthread_rwlock_init(pthread_rwlock_t *, const pthread_rwlockattr_t *);
int cn_old_pthread_rwlock_destroy(pthread_rwlock_t *);
int cn_old_pthread_rwlock_rdlock(pthread_rwlock_t *);
int cn_old_pthread_rwlock_wrlock(pthread_rwlock_t *);
int cn_old_pthread_rwlock_unlock(pthread_rwlock_t *);

CN_HIDDEN int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg) {
  return cn_old_pthread_create(thread, attr, start, arg);
}
CN_HIDDEN int __wrap_pthread_detach(pthread_t thread) { return cn_old_pthread_detach(thread); }
CN_HIDDEN int __wrap_pthread_join(pthread_t thread, void **result) { return cn_old_pthread_join(thread, result); }
CN_HIDDEN int __wrap_pthread_once(pthread_once_t *once, void (*init)(void)) { return cn_old_pthread_once(once, init); }
CN_HIDDEN int __wrap_pthread_key_create(pthread_key_t *key, void (*destructor)(void *)) {
  return cn_old_pthread_key_create(key, destructor);
}
/* libstdc++ refers to this one (weakly) to learn whether threads are available. */
CN_HIDDEN int __wrap___pthread_key_create(pthread_key_t *key, void (*destructor)(void *)) {
  return cn_old_pthread_key_create(key, destructor);
}
CN_HIDDEN int __wrap_pthread_key_delete(pthread_key_t key) { return cn_old_pthread_key_delete(key); }
CN_HIDDEN void *__wrap_pthread_getspecific(pthread_key_t key) { return cn_old_pthread_getspecific(key); }
CN_HIDDEN int __wrap_pthread_setspecific(pthread_key_t key, const void *value) {
  return cn_old_pthread_setspecific(key, value);
}
CN_HIDDEN int __wrap_pthread_rwlock_init(pthread_rwlock_t *lock, const pthread_rwlockattr_t *attr) {
  return cn_old_pthread_rwlock_init(lock, attr);
}
CN_HIDDEN int __wrap_pthread_rwlock_destroy(pthread_rwlock_t *lock) { return cn_old_pthread_rwlock_destroy(lock); }
CN_HIDDEN int __wrap_pthread_rwlock_rdlock(pthread_rwlock_t *lock) { return cn_old_pthread_rwlock_rdlock(lock); }
CN_HIDDEN int __wrap_pthread_rwlock_wrlock(pthread_rwlock_t *lock) { return cn_old_pthread_rwlock_wrlock(lock); }
CN_HIDDEN int __wrap_pthread_rwlock_unlock(pthread_rwlock_t *lock) { return cn_old_pthread_rwlock_unlock(lock); }

/* --- dl*: GLIBC_2.34 in libc, before that the base version in libdl.so.2 ------------------ */
CN_OLD(dlopen, CN_GLIBC_BASE);
CN_OLD(dlsym, CN_GLIBC_BASE);
CN_OLD(dlclose, CN_GLIBC_BASE);
CN_OLD(dlerror, CN_GLIBC_BASE);
void *cn_old_dlopen(const char *, int);
void *cn_old_dlsym(void *, const char *);
int cn_old_dlclose(void *);
char *cn_old_dlerror(void);

CN_HIDDEN void *__wrap_dlopen(const char *file, int mode) { return cn_old_dlopen(file, mode); }
CN_HIDDEN void *__wrap_dlsym(void *handle, const char *name) { return cn_old_dlsym(handle, name); }
CN_HIDDEN int __wrap_dlclose(void *handle) { return cn_old_dlclose(handle); }
CN_HIDDEN char *__wrap_dlerror(void) { return cn_old_dlerror(); }

/* --- stat family: GLIBC_2.33 functions, before that __xstat & co. with a version number ---- */
CN_OLD(__xstat, CN_GLIBC_BASE);
CN_OLD(__xstat64, CN_GLIBC_BASE);
CN_OLD(__fxstat, CN_GLIBC_BASE);
CN_OLD(__fxstat64, CN_GLIBC_BASE);
CN_OLD(__lxstat, CN_GLIBC_BASE);
CN_OLD(__lxstat64, CN_GLIBC_BASE);
int cn_old___xstat(int, const char *, struct stat *);
int cn_old___xstat64(int, const char *, struct stat64 *);
int cn_old___fxstat(int, int, struct stat *);
int cn_old___fxstat64(int, int, struct stat64 *);
int cn_old___lxstat(int, const char *, struct stat *);
int cn_old___lxstat64(int, const char *, struct stat64 *);

CN_HIDDEN int __wrap_stat(const char *path, struct stat *buf) { return cn_old___xstat(CN_STAT_VER, path, buf); }
CN_HIDDEN int __wrap_stat64(const char *path, struct stat64 *buf) { return cn_old___xstat64(CN_STAT_VER, path, buf); }
CN_HIDDEN int __wrap_fstat(int fd, struct stat *buf) { return cn_old___fxstat(CN_STAT_VER, fd, buf); }
CN_HIDDEN int __wrap_fstat64(int fd, struct stat64 *buf) { return cn_old___fxstat64(CN_STAT_VER, fd, buf); }
CN_HIDDEN int __wrap_lstat(const char *path, struct stat *buf) { return cn_old___lxstat(CN_STAT_VER, path, buf); }
CN_HIDDEN int __wrap_lstat64(const char *path, struct stat64 *buf) { return cn_old___lxstat64(CN_STAT_VER, path, buf); }

/* --- arc4random family: GLIBC_2.36 (libstdc++'s std::random_device refers to it) --------- */
/* glibc's arc4random is getrandom() underneath and never fails: it retries on EINTR and aborts
   when the kernel cannot supply randomness. getrandom() itself is GLIBC_2.25. */
static void cn_random_fill(void *buffer, size_t length) {
  unsigned char *out = buffer;
  while (length > 0) {
    ssize_t got = getrandom(out, length, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      abort();
    }
    out += got;
    length -= (size_t)got;
  }
}
CN_HIDDEN void __wrap_arc4random_buf(void *buffer, size_t length) { cn_random_fill(buffer, length); }
CN_HIDDEN uint32_t __wrap_arc4random(void) {
  uint32_t value;
  cn_random_fill(&value, sizeof value);
  return value;
}
/* Uniform in [0, bound) without modulo bias: reject the values below 2^32 mod bound. */
CN_HIDDEN uint32_t __wrap_arc4random_uniform(uint32_t bound) {
  if (bound < 2) return 0;
  uint32_t threshold = -bound % bound, value;
  do cn_random_fill(&value, sizeof value);
  while (value < threshold);
  return value % bound;
}

/* --- __libc_single_threaded: GLIBC_2.32 ---------------------------------------------------- */
CN_HIDDEN char __wrap___libc_single_threaded = 0;

/* --- _dl_find_object: GLIBC_2.35 ----------------------------------------------------------- */
#ifdef DLFO_STRUCT_HAS_EH_DBASE /* declared by the headers of glibc 2.35 and newer */
struct cn_find_request {
  uintptr_t address;
  struct dl_find_object *result;
  uintptr_t page_size;
  int found;
};

static int cn_find_in_object(struct dl_phdr_info *info, size_t size, void *data) {
  struct cn_find_request *request = data;
  uintptr_t start = UINTPTR_MAX, end = 0, page = request->page_size;
  int contains = 0;
  void *eh_frame = NULL;
  (void)size;
  for (size_t i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *phdr = &info->dlpi_phdr[i];
    uintptr_t segment = info->dlpi_addr + phdr->p_vaddr;
    if (phdr->p_type == PT_LOAD) {
      if (request->address >= segment && request->address < segment + phdr->p_memsz) contains = 1;
      /* Like glibc's link map: the mapping starts at the page of the first segment. */
      if ((segment & ~(page - 1)) < start) start = segment & ~(page - 1);
      if (segment + phdr->p_memsz > end) end = segment + phdr->p_memsz;
    } else if (phdr->p_type == PT_GNU_EH_FRAME) {
      eh_frame = (void *)segment;
    }
  }
  if (!contains) return 0;
  struct dl_find_object *result = request->result;
  result->dlfo_flags = 0;
  result->dlfo_map_start = (void *)start;
  result->dlfo_map_end = (void *)end;
  /* The link map is not reachable from dl_iterate_phdr; the unwinder, this function's only
     caller in the addon, reads dlfo_eh_frame alone. */
  result->dlfo_link_map = NULL;
  result->dlfo_eh_frame = eh_frame;
  request->found = 1;
  return 1;
}

CN_HIDDEN int __wrap__dl_find_object(void *address, struct dl_find_object *result) {
  struct cn_find_request request = {(uintptr_t)address, result, (uintptr_t)getpagesize(), 0};
  dl_iterate_phdr(cn_find_in_object, &request);
  return request.found ? 0 : -1;
}
#endif
