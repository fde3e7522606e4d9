// spanprof's Node runtime hook: writes activation records (docs/activations.md), the
// moments the current OpenTelemetry span changes on each thread, so `spanprof join`
// can give every CPU sample of an event loop the span that was current.
//
// `spanprof run` loads it into the Node processes it starts (NODE_OPTIONS=--require
// this file); it needs no change to the app and no @opentelemetry package of its own.
// It finds the app's OpenTelemetry API through the API's global registration and
// follows the active context:
// - on async transitions: in an async_hooks `before`, the context manager's active()
//   is the context of the callback being resumed; `after` restores the one before it;
// - on synchronous context.with() (startActiveSpan), which switches without any async
//   hook: the manager's `with` (and `attach`) are wrapped.
// It does nothing when SPANPROF_ACTIVATIONS_DIR is unset or empty, never throws into
// the app and never prints: a failure stops the recording and leaves one line in
// DIR/activations-PID.error.
'use strict';

(function spanprofActivations() {
  const dir = process.env.SPANPROF_ACTIVATIONS_DIR;
  if (!dir) return;

  // Bound now: an instrumentation of fs loaded later by the app must not see our writes.
  const fs = require('fs');
  const { openSync, writeSync, closeSync, readlinkSync } = fs;
  const { O_WRONLY, O_CREAT, O_EXCL, O_APPEND } = fs.constants;
  const { createHook } = require('async_hooks');
  const { isMainThread } = require('worker_threads');

  // @opentelemetry/api 1.x: src/internal/global-utils.ts and src/trace/context-utils.ts.
  const API_KEY = Symbol.for('opentelemetry.js.api.1');
  const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

  // docs/activations.md, version 1.
  const HEADER_SIZE = 40;
  const RECORD_SIZE = 40;
  const CLOCK_MONOTONIC = 1;
  const BUFFER_RECORDS = 1024;
  const FLUSH_INTERVAL_MS = 200;
  const TRACE_ID = /^[0-9a-f]{32}$/;
  const SPAN_ID = /^[0-9a-f]{16}$/;

  const pid = process.pid;
  const path = `${dir}/activations-${pid}.bin`;
  // Records are stored through typed-array views of the buffer, host byte order: the
  // format is little-endian, so a big-endian host records nothing (checked below).
  const buffer = Buffer.alloc(RECORD_SIZE * BUFFER_RECORDS);
  const words = new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length / 4);
  const times = new BigUint64Array(buffer.buffer, buffer.byteOffset, buffer.length / 8);
  const WORDS_PER_RECORD = RECORD_SIZE / 4;
  let used = 0;  // records in the buffer
  let fd = -1;
  let tid = 0;
  let stopped = false;

  // What this thread follows. lastContext and lastSpan are the context and span objects
  // last seen (compared by identity, so a transition to the same one costs a
  // comparison); lastIds are the
  // ids last written (NO_IDS: none, the state a thread starts in). A span's ids are
  // read, checked and turned into record words once, then kept with the span object.
  const NO_IDS = new Uint32Array(6);
  const idsOfSpan = new WeakMap();
  let lastContext;
  let lastSpan;
  let lastIds = NO_IDS;
  // The context followed when each `before` ran, restored by its `after`.
  const resumed = [];
  let depth = 0;

  let api;       // the app's API global, once it exists
  let manager;   // api.context when we last looked: the context manager we follow
  const wrappedManagers = new WeakSet();

  function fail(why) {
    if (stopped) return;
    stopped = true;
    used = 0;
    try { hook.disable(); } catch { /* nothing more to stop */ }
    if (fd >= 0) {
      try { closeSync(fd); } catch { /* already unusable */ }
      fd = -1;
    }
    try {
      // The first failure of the process wins: one line, as the reader expects.
      const errorPath = `${dir}/activations-${pid}.error`;
      const errorFd = openSync(errorPath, O_WRONLY | O_CREAT | O_EXCL, 0o600);
      try {
        writeSync(errorFd, `spanprof Node hook: ${why}; no activations recorded after this\n`);
      } finally {
        closeSync(errorFd);
      }
    } catch { /* nowhere to say it */ }
  }

  function flush() {
    if (used === 0 || fd < 0) return;
    const length = used * RECORD_SIZE;
    used = 0;
    try {
      let done = 0;
      while (done < length) {
        const wrote = writeSync(fd, buffer, done, length - done);
        // A short write that splits a record would let another thread's records land
        // inside it (docs/activations.md: whole records only).
        if (wrote <= 0 || wrote % RECORD_SIZE !== 0) {
          throw new Error(`short write of ${wrote} bytes`);
        }
        done += wrote;
      }
    } catch (error) {
      fail(`cannot write ${path}: ${error.message}`);
    }
  }

  function append(ids) {
    if (used === BUFFER_RECORDS) flush();
    if (stopped) return;
    const word = used * WORDS_PER_RECORD;
    times[word >> 1] = process.hrtime.bigint();  // CLOCK_MONOTONIC on Linux (libuv)
    words[word + 2] = pid;
    words[word + 3] = tid;
    words[word + 4] = ids[0];
    words[word + 5] = ids[1];
    words[word + 6] = ids[2];
    words[word + 7] = ids[3];
    words[word + 8] = ids[4];
    words[word + 9] = ids[5];
    used++;
    lastIds = ids;
  }

  // trace_id then span_id, bytes in the order the hex reads, as the record's words 4-9.
  // The invalid span context (all zeros) and malformed ids both mean: no span.
  function idsOf(span) {
    if (span === undefined || span === null || typeof span !== 'object') return NO_IDS;
    let ids = idsOfSpan.get(span);
    if (ids !== undefined) return ids;
    ids = NO_IDS;
    const spanContext = typeof span.spanContext === 'function' ? span.spanContext() : undefined;
    if (spanContext && TRACE_ID.test(spanContext.traceId) && SPAN_ID.test(spanContext.spanId) &&
        spanContext.traceId !== '00000000000000000000000000000000' &&
        spanContext.spanId !== '0000000000000000') {
      ids = new Uint32Array(6);
      hexWords(spanContext.traceId, ids, 0, 4);
      hexWords(spanContext.spanId, ids, 4, 2);
    }
    idsOfSpan.set(span, ids);
    return ids;
  }

  // Eight hex digits at a time into the record's little-endian words: the bytes
  // keep the order the hex reads (docs/activations.md). Cheaper than a Buffer
  // per span, and every span is new.
  function hexWords(hex, out, first, count) {
    for (let i = 0; i < count; i++) {
      const word = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
      out[first + i] = ((word & 0xff) << 24) | ((word & 0xff00) << 8) |
                       ((word >>> 8) & 0xff00) | (word >>> 24);
    }
  }

  function sameIds(a, b) {
    return a === b || (a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] &&
                       a[4] === b[4] && a[5] === b[5]);
  }

  function followSpan(span) {
    if (span === lastSpan) return;
    lastSpan = span;
    const ids = idsOf(span);
    if (!sameIds(ids, lastIds)) append(ids);
  }

  function followContext(context) {
    if (context === lastContext) return;
    lastContext = context;
    followSpan(context === undefined || context === null ? undefined : context.getValue(SPAN_KEY));
  }

  function followActive() {
    try {
      if (manager !== undefined) followContext(manager.active());
    } catch { /* a foreign manager misbehaving must not reach the app */ }
  }

  // Synchronous switches: context.with() calls manager.with(); the hook records the
  // context it enters, then the one active again after it returns (or throws).
  function wrapManager(target) {
    if (wrappedManagers.has(target)) return;
    wrappedManagers.add(target);
    const originalWith = target.with;
    if (typeof originalWith === 'function') {
      target.with = function with_(context) {
        if (stopped || manager !== target) return originalWith.apply(this, arguments);
        try { followContext(context); } catch { /* never into the app */ }
        try {
          return originalWith.apply(this, arguments);
        } finally {
          followActive();
        }
      };
    }
    // attach() (experimental in context-async-hooks 2.x) enters a context until its
    // token is disposed.
    const originalAttach = target.attach;
    if (typeof originalAttach === 'function') {
      target.attach = function attach() {
        const token = originalAttach.apply(this, arguments);
        if (stopped || manager !== target) return token;
        followActive();
        try {
          const dispose = token && token.dispose;
          if (typeof dispose === 'function') {
            token.dispose = function disposeToken() {
              try {
                return dispose.apply(this, arguments);
              } finally {
                followActive();
              }
            };
          }
        } catch { /* a frozen token: its end is seen at the next transition */ }
        return token;
      };
    }
  }

  // Called whenever api.context may have changed: a provider registered its manager,
  // or context.disable() removed it.
  function adoptManager() {
    const current = api !== undefined ? api.context : undefined;
    if (current === manager) return;
    manager = current;
    if (manager !== undefined && manager !== null && typeof manager.active === 'function') {
      try { wrapManager(manager); } catch { /* a frozen manager: async transitions only */ }
      if (!stopped) hook.enable();
      followActive();
    } else {
      manager = undefined;
      followContext(undefined);
    }
  }

  const hook = createHook({
    before() {
      resumed[depth++] = lastContext;
      if (api.context !== manager) adoptManager();
      followActive();
    },
    after() {
      try {
        let context;
        if (depth > 0) {
          context = resumed[--depth];
          resumed[depth] = undefined;  // keeps no ended span alive
        }
        followContext(context);
      } catch { /* never into the app */ }
    },
  });

  // The API object appears when the app's first OpenTelemetry global registers
  // (`globalThis[API_KEY] ??= {version}` then `api.context = manager`). Watching both
  // assignments finds the manager the moment it exists, with no polling and no async
  // hook at all in an app without OpenTelemetry. Each accessor turns back into the plain
  // data property the assignment would have made.
  function watchProperty(object, key, onSet) {
    Object.defineProperty(object, key, {
      configurable: true,
      enumerable: false,
      get() { return undefined; },
      set(value) {
        Object.defineProperty(object, key,
                              { value, writable: true, enumerable: true, configurable: true });
        try { onSet(value); } catch { /* never into the app */ }
      },
    });
  }

  function watchApi(value) {
    if (value === null || typeof value !== 'object') return;
    api = value;
    if (api.context !== undefined) {
      adoptManager();
    } else if (Object.isExtensible(api)) {
      watchProperty(api, 'context', adoptManager);
    }
  }

  function openFile() {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());  // "PID/task/TID"
    if (!isMainThread) {
      // The main thread ran this hook first and created the file with its header.
      fd = openSync(path, O_WRONLY | O_APPEND);
      return;
    }
    fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0o600);
    const header = Buffer.alloc(HEADER_SIZE);
    header.write('SPANACT\0', 0, 'latin1');
    header.writeUInt16LE(1, 8);  // version
    header.writeUInt16LE(HEADER_SIZE, 10);
    header.writeUInt16LE(RECORD_SIZE, 12);
    header.writeUInt16LE(CLOCK_MONOTONIC, 14);
    header.writeUInt32LE(pid, 16);
    header.writeBigUInt64LE(process.hrtime.bigint(), 24);
    header.writeBigUInt64LE(BigInt(Date.now()) * 1000000n, 32);  // realtime, ms resolution
    if (writeSync(fd, header) !== HEADER_SIZE) throw new Error('short write of the header');
  }

  try {
    if (require('os').endianness() !== 'LE') {
      fail('this host is big-endian; the hook writes little-endian records only');
      return;
    }
    openFile();
  } catch (error) {
    fail(`cannot ${isMainThread ? 'create' : 'open'} ${path}: ${error.message}`);
    return;
  }

  // Samples before the first flush would otherwise meet no record: flush often, from
  // a timer that keeps no process alive; and at exit (also a worker's). A process killed
  // by a signal it does not handle loses what is buffered (at most FLUSH_INTERVAL_MS):
  // a listener of ours would change what the signal does to the app.
  setInterval(flush, FLUSH_INTERVAL_MS).unref();
  process.on('exit', flush);

  try {
    const existing = globalThis[API_KEY];
    if (existing !== undefined) {
      watchApi(existing);
    } else {
      watchProperty(globalThis, API_KEY, watchApi);
    }
  } catch (error) {
    fail(`cannot watch the OpenTelemetry API global: ${error.message}`);
  }
})();
