/* spanprof/activation.h: activation records from C and C++ (docs/activations.md, version 1).
 *
 * An activation record says which span is current on a thread from a point in time on.
 * Call spanprof_activate() each time a span becomes current on the calling thread (a
 * callback, task or handler resumes with its context) and spanprof_deactivate() when
 * none is; `spanprof join` then labels every CPU sample of the thread with the span that
 * was current, even when many requests' spans are open on one thread.
 *
 *   void spanprof_activate(const uint8_t trace_id[16], const uint8_t span_id[8]);
 *   void spanprof_deactivate(void);  // no span current from now on
 *   void spanprof_flush(void);       // writes the calling thread's buffered records
 *
 * Ids are the bytes in the order their hex reads (OpenTelemetry's TraceId/SpanId bytes).
 * A null or all-zero trace_id/span_id means no span, as spanprof_deactivate().
 *
 * Linkage: stb style. Every file includes this header for the declarations; exactly one
 * file of the program defines the implementation:
 *
 *   #define SPANPROF_ACTIVATION_IMPLEMENTATION
 *   #include <spanprof/activation.h>
 *
 * Why: the state (the file, its lock, the per-thread buffers) must be one per process,
 * whichever translation units and languages call it. Inline functions with C++17 inline
 * variables would give that in C++ only, not to C callers, and a copy per shared object
 * built with hidden visibility; one compiled definition behind a C ABI is the same for
 * both languages. Two implementations in one process (two shared objects, each with its
 * own hidden copy) would both claim DIR/activations-PID.bin: the second one's create
 * fails and it reports that in DIR/activations-PID.error instead of corrupting the file.
 *
 * Build: Linux, gcc or clang (C99 or later in GNU mode, or C++), link with -pthread.
 *
 * Behaviour (docs/activations.md):
 * - DIR is SPANPROF_ACTIVATIONS_DIR, read at the first call (`spanprof run` sets it).
 *   Unset or empty: every call returns after one load and a compare.
 * - Records are buffered per thread (SPANPROF_ACTIVATION_BUFFER_RECORDS, 1024 by default:
 *   40 KiB, allocated at a thread's first transition) and written with one write() of
 *   whole records; no syscall per transition.
 *   A thread's buffer is written when it is full, when its oldest record is 100 ms old
 *   (checked at the next transition: there is no timer thread), at thread exit, at process
 *   exit for the thread that calls exit(), and by spanprof_flush().
 * - The process's first write creates DIR/activations-PID.bin (O_CREAT|O_EXCL, 0600) and
 *   writes its header before any record; all threads append (O_APPEND).
 * - Fork: the child drops the buffer it inherited (the parent writes it), and writes its
 *   own file; the forking thread's current span is recorded again there at the fork.
 * - A failure to create or write the file stops this process's records for good and, when
 *   possible, leaves one line saying why in DIR/activations-PID.error. Nothing is printed
 *   and nothing aborts.
 * - Only changes are recorded: activating the span that is already current writes nothing.
 * - Not async-signal-safe: do not call it from a signal handler.
 */
#ifndef SPANPROF_ACTIVATION_H
#define SPANPROF_ACTIVATION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void spanprof_activate(const uint8_t trace_id[16], const uint8_t span_id[8]);
void spanprof_deactivate(void);
void spanprof_flush(void);

#ifdef __cplusplus
}
#endif

#endif /* SPANPROF_ACTIVATION_H */

#if defined(SPANPROF_ACTIVATION_IMPLEMENTATION) && !defined(SPANPROF_ACTIVATION_IMPLEMENTED)
#define SPANPROF_ACTIVATION_IMPLEMENTED

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef SPANPROF_ACTIVATION_BUFFER_RECORDS
/* Measured (scripts/bench.py activation-header): 1024 records cost ~10% less per switch
 * than 256, in fewer write() calls; more buys little. */
#define SPANPROF_ACTIVATION_BUFFER_RECORDS 1024
#endif
#if SPANPROF_ACTIVATION_BUFFER_RECORDS < 1
#error "SPANPROF_ACTIVATION_BUFFER_RECORDS must be at least 1"
#endif

#ifdef __cplusplus
#define SPANPROF__CAST(type, value) static_cast<type>(value)
#else
#define SPANPROF__CAST(type, value) ((type)(value))
#endif

/* docs/activations.md, format version 1. */
#define SPANPROF__HEADER_SIZE 40
#define SPANPROF__RECORD_SIZE 40
#define SPANPROF__IDS_SIZE 24 /* trace_id (16) then span_id (8), as in a record */
#define SPANPROF__MAX_AGE_NS 100000000ULL

/* Process states; the state is read with one atomic load on every call. */
#define SPANPROF__UNSET 0  /* no call yet */
#define SPANPROF__OFF 1    /* SPANPROF_ACTIVATIONS_DIR unset or empty */
#define SPANPROF__ON 2     /* recording */
#define SPANPROF__FAILED 3 /* gave up: a create or a write failed */

struct spanprof__thread {
  uint32_t tid;
  uint32_t count; /* records buffered */
  uint64_t oldest_ns;
  uint8_t current[SPANPROF__IDS_SIZE]; /* the ids of this thread's last record */
  uint8_t records[SPANPROF_ACTIVATION_BUFFER_RECORDS * SPANPROF__RECORD_SIZE];
};

static int spanprof__state = SPANPROF__UNSET;
static int spanprof__fd = -1;     /* the process's file, once created */
static int spanprof__exiting = 0; /* after the atexit handler: every record is written at once */
static uint32_t spanprof__pid = 0;
static char spanprof__dir[4096];
static pthread_once_t spanprof__once = PTHREAD_ONCE_INIT;
static pthread_mutex_t spanprof__lock; /* creating the file, failing; set up by spanprof__init */
static pthread_key_t spanprof__key; /* its destructor flushes an exiting thread's buffer */
static __thread struct spanprof__thread *spanprof__self = NULL;

static void spanprof__put_le(uint8_t *out, uint64_t value, int bytes) {
  int i;
  for (i = 0; i < bytes; ++i) out[i] = SPANPROF__CAST(uint8_t, value >> (8 * i));
}

static uint64_t spanprof__clock_ns(clockid_t clock) {
  struct timespec now;
  if (clock_gettime(clock, &now) != 0) return 0;
  return SPANPROF__CAST(uint64_t, now.tv_sec) * 1000000000ULL +
         SPANPROF__CAST(uint64_t, now.tv_nsec);
}

static int spanprof__path(char *out, size_t size, const char *suffix) {
  int n = snprintf(out, size, "%s/activations-%" PRIu32 ".%s", spanprof__dir, spanprof__pid,
                   suffix);
  return n > 0 && SPANPROF__CAST(size_t, n) < size;
}

/* Called with spanprof__lock held. The first failure wins; later ones say nothing. */
static void spanprof__fail_locked(const char *what, int error) {
  char path[sizeof spanprof__dir + 64];
  char line[sizeof path + 256];
  int fd, n;
  if (__atomic_load_n(&spanprof__state, __ATOMIC_ACQUIRE) != SPANPROF__ON) return;
  __atomic_store_n(&spanprof__state, SPANPROF__FAILED, __ATOMIC_RELEASE);
  if (!spanprof__path(path, sizeof path, "error")) return;
  n = snprintf(line, sizeof line,
               "spanprof activation header: %s: %s; no more activation records from this process\n",
               what, strerror(error));
  if (n <= 0) return;
  if (SPANPROF__CAST(size_t, n) >= sizeof line) n = SPANPROF__CAST(int, sizeof line - 1);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  if (write(fd, line, SPANPROF__CAST(size_t, n)) < 0) {
    /* Nowhere left to say it: the app must run on unharmed. */
  }
  close(fd);
}

static void spanprof__fail(const char *what, int error) {
  pthread_mutex_lock(&spanprof__lock);
  spanprof__fail_locked(what, error);
  pthread_mutex_unlock(&spanprof__lock);
}

/* Writes all of bytes or fails; a short write would leave a torn record in the file. */
static int spanprof__write_all(int fd, const uint8_t *bytes, size_t size) {
  ssize_t written;
  do {
    written = write(fd, bytes, size);
  } while (written < 0 && errno == EINTR);
  if (written < 0) return errno;
  if (SPANPROF__CAST(size_t, written) != size) return errno != 0 ? errno : EIO;
  return 0;
}

/* The process's file, created with its header on first use; -1 once recording failed. */
static int spanprof__file(void) {
  char path[sizeof spanprof__dir + 64];
  uint8_t header[SPANPROF__HEADER_SIZE];
  uint64_t monotonic_ns, realtime_ns;
  int fd, error;
  fd = __atomic_load_n(&spanprof__fd, __ATOMIC_ACQUIRE);
  if (fd >= 0) return fd;
  pthread_mutex_lock(&spanprof__lock);
  fd = spanprof__fd;
  if (fd < 0 && __atomic_load_n(&spanprof__state, __ATOMIC_ACQUIRE) == SPANPROF__ON) {
    if (!spanprof__path(path, sizeof path, "bin")) {
      spanprof__fail_locked("SPANPROF_ACTIVATIONS_DIR is too long", ENAMETOOLONG);
    } else if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600)) < 0) {
      /* EEXIST: a second implementation in this process, or a reused pid in an old DIR. */
      spanprof__fail_locked("cannot create activations-PID.bin", errno);
    } else {
      monotonic_ns = spanprof__clock_ns(CLOCK_MONOTONIC);
      realtime_ns = spanprof__clock_ns(CLOCK_REALTIME);
      memcpy(header, "SPANACT", 8); /* the magic ends in its zero byte */
      spanprof__put_le(header + 8, 1, 2);   /* version */
      spanprof__put_le(header + 10, SPANPROF__HEADER_SIZE, 2);
      spanprof__put_le(header + 12, SPANPROF__RECORD_SIZE, 2);
      spanprof__put_le(header + 14, 1, 2);  /* clock_id: CLOCK_MONOTONIC */
      spanprof__put_le(header + 16, spanprof__pid, 4);
      spanprof__put_le(header + 20, 0, 4);  /* reserved */
      spanprof__put_le(header + 24, monotonic_ns, 8);
      spanprof__put_le(header + 32, realtime_ns, 8);
      error = spanprof__write_all(fd, header, sizeof header);
      if (error != 0) {
        close(fd);
        fd = -1;
        spanprof__fail_locked("cannot write the header of activations-PID.bin", error);
      } else {
        __atomic_store_n(&spanprof__fd, fd, __ATOMIC_RELEASE);
      }
    }
  }
  pthread_mutex_unlock(&spanprof__lock);
  return fd;
}

static void spanprof__flush_thread(struct spanprof__thread *self) {
  size_t size = SPANPROF__CAST(size_t, self->count) * SPANPROF__RECORD_SIZE;
  int fd, error;
  if (self->count == 0) return;
  self->count = 0;
  if (__atomic_load_n(&spanprof__state, __ATOMIC_ACQUIRE) != SPANPROF__ON) return;
  fd = spanprof__file();
  if (fd < 0) return;
  /* One write of whole records: O_APPEND keeps other threads' records out of it. */
  error = spanprof__write_all(fd, self->records, size);
  if (error != 0) spanprof__fail("cannot write activations-PID.bin", error);
}

static void spanprof__thread_exit(void *value) {
  struct spanprof__thread *self = SPANPROF__CAST(struct spanprof__thread *, value);
  spanprof__flush_thread(self);
  if (spanprof__self == self) spanprof__self = NULL;
  free(self);
}

static void spanprof__process_exit(void) {
  if (spanprof__self != NULL) spanprof__flush_thread(spanprof__self);
  /* Static destructors that run after this handler may still switch spans. */
  __atomic_store_n(&spanprof__exiting, 1, __ATOMIC_RELAXED);
}

static void spanprof__append(struct spanprof__thread *self, const uint8_t ids[SPANPROF__IDS_SIZE]) {
  uint64_t now = spanprof__clock_ns(CLOCK_MONOTONIC);
  uint8_t *record = self->records + SPANPROF__CAST(size_t, self->count) * SPANPROF__RECORD_SIZE;
  spanprof__put_le(record, now, 8);
  spanprof__put_le(record + 8, spanprof__pid, 4);
  spanprof__put_le(record + 12, self->tid, 4);
  memcpy(record + 16, ids, SPANPROF__IDS_SIZE);
  if (self->count == 0) self->oldest_ns = now;
  ++self->count;
  if (self->count == SPANPROF_ACTIVATION_BUFFER_RECORDS ||
      now - self->oldest_ns >= SPANPROF__MAX_AGE_NS ||
      __atomic_load_n(&spanprof__exiting, __ATOMIC_RELAXED)) {
    spanprof__flush_thread(self);
  }
}

static void spanprof__before_fork(void) { pthread_mutex_lock(&spanprof__lock); }

static void spanprof__after_fork_parent(void) { pthread_mutex_unlock(&spanprof__lock); }

static void spanprof__after_fork_child(void) {
  static const uint8_t none[SPANPROF__IDS_SIZE] = {0};
  struct spanprof__thread *self = spanprof__self;
  /* The child's only thread is the one that took the lock in spanprof__before_fork. */
  pthread_mutex_unlock(&spanprof__lock);
  if (spanprof__fd >= 0) close(spanprof__fd); /* the parent's file */
  spanprof__fd = -1;
  spanprof__pid = SPANPROF__CAST(uint32_t, getpid());
  spanprof__exiting = 0;
  if (spanprof__state == SPANPROF__FAILED) spanprof__state = SPANPROF__ON;
  if (self == NULL) return;
  self->count = 0; /* the parent's records: the parent writes them */
  self->tid = SPANPROF__CAST(uint32_t, syscall(SYS_gettid));
  if (memcmp(self->current, none, sizeof none) != 0) spanprof__append(self, self->current);
}

static void spanprof__init(void) {
  const char *dir = getenv("SPANPROF_ACTIVATIONS_DIR");
  size_t length = dir == NULL ? 0 : strlen(dir);
  if (length == 0 || length >= sizeof spanprof__dir - 64) {
    /* Too long for DIR/activations-PID.error too: nowhere to say why. */
    __atomic_store_n(&spanprof__state, length == 0 ? SPANPROF__OFF : SPANPROF__FAILED,
                     __ATOMIC_RELEASE);
    return;
  }
  memcpy(spanprof__dir, dir, length + 1);
  spanprof__pid = SPANPROF__CAST(uint32_t, getpid());
  if (pthread_mutex_init(&spanprof__lock, NULL) != 0 ||
      pthread_key_create(&spanprof__key, spanprof__thread_exit) != 0 ||
      pthread_atfork(spanprof__before_fork, spanprof__after_fork_parent,
                     spanprof__after_fork_child) != 0 ||
      atexit(spanprof__process_exit) != 0) {
    __atomic_store_n(&spanprof__state, SPANPROF__FAILED, __ATOMIC_RELEASE);
    return;
  }
  __atomic_store_n(&spanprof__state, SPANPROF__ON, __ATOMIC_RELEASE);
}

/* The calling thread's buffer, or NULL when nothing is to be recorded. */
static struct spanprof__thread *spanprof__thread_state(void) {
  struct spanprof__thread *self;
  int state = __atomic_load_n(&spanprof__state, __ATOMIC_ACQUIRE);
  if (state == SPANPROF__UNSET) {
    pthread_once(&spanprof__once, spanprof__init);
    state = __atomic_load_n(&spanprof__state, __ATOMIC_ACQUIRE);
  }
  if (state != SPANPROF__ON) return NULL;
  self = spanprof__self;
  if (self != NULL) return self;
  self = SPANPROF__CAST(struct spanprof__thread *, calloc(1, sizeof(struct spanprof__thread)));
  if (self == NULL) return NULL; /* out of memory: this transition is lost */
  self->tid = SPANPROF__CAST(uint32_t, syscall(SYS_gettid));
  if (pthread_setspecific(spanprof__key, self) != 0) {
    free(self);
    return NULL;
  }
  spanprof__self = self;
  return self;
}

static void spanprof__switch_to(const uint8_t ids[SPANPROF__IDS_SIZE]) {
  struct spanprof__thread *self = spanprof__thread_state();
  if (self == NULL || memcmp(self->current, ids, SPANPROF__IDS_SIZE) == 0) return;
  memcpy(self->current, ids, SPANPROF__IDS_SIZE);
  spanprof__append(self, ids);
}

void spanprof_activate(const uint8_t trace_id[16], const uint8_t span_id[8]) {
  uint8_t ids[SPANPROF__IDS_SIZE] = {0};
  if (trace_id != NULL && span_id != NULL) {
    memcpy(ids, trace_id, 16);
    memcpy(ids + 16, span_id, 8);
  }
  spanprof__switch_to(ids);
}

void spanprof_deactivate(void) {
  static const uint8_t none[SPANPROF__IDS_SIZE] = {0};
  spanprof__switch_to(none);
}

void spanprof_flush(void) {
  if (__atomic_load_n(&spanprof__state, __ATOMIC_ACQUIRE) != SPANPROF__ON) return;
  if (spanprof__self != NULL) spanprof__flush_thread(spanprof__self);
}

#endif /* SPANPROF_ACTIVATION_IMPLEMENTATION */
