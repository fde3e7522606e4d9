// An HTTP server traced by the real @opentelemetry/instrumentation-http, under its own
// concurrent load: the event-loop case of spanprof's activation records.
//
//   node --perf-basic-prof --interpreted-frames-native-stack http_server.js \
//     [--duration-ms N] [--requests N] [--concurrency N] [--light] [--in-worker]
//
// Three routes; each handler awaits simulated I/O, then burns CPU in a route-specific
// named function inside a child span of its server span, so many requests' spans are
// open on the one thread at once and only the current context tells which request
// the CPU belongs to. A built-in client keeps --concurrency (8) requests in flight until
// --duration-ms passes or --requests are done, then the server closes, the spans are
// flushed (OTLP/HTTP protobuf to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, what `spanprof run`
// sets; without it, spans are made but not sent) and the process exits. A span processor
// stamps thread.os_id, what spanprof's docs ask of apps joined without activation records.
//
// --light: a twentieth of the CPU work per request, so the requests' own machinery
// (and a runtime hook's cost per transition) weighs more.
// --in-worker runs all of it in a worker_thread (the main thread only waits).
// SPANPROF_TEST_CHECKS=FILE: at many points, the app notes the time, its OS thread id,
// trace.getActiveSpan() (and the route of child spans); the list goes to FILE as JSON lines at exit, for tests to
// hold against the activation records.
'use strict';

const fs = require('fs');
const { Worker, isMainThread } = require('worker_threads');

function option(argv, name, fallback) {
  const at = argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`http_server: bad ${name} '${argv[at + 1]}'`);
    process.exit(2);
  }
  return value;
}

// "PID/task/TID" (the Node way to the OS thread id).
function osThreadId() {
  return Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
}

if (isMainThread && process.argv.includes('--in-worker')) {
  const worker = new Worker(__filename, { argv: process.argv.slice(2) });
  worker.on('error', (error) => { console.error(error); process.exitCode = 1; });
  worker.on('exit', (code) => { if (code !== 0) process.exitCode = code; });
} else {
  serve().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

async function serve() {
  const argv = process.argv;
  const durationMs = option(argv, '--duration-ms', 3000);
  const maxRequests = option(argv, '--requests', Number.MAX_SAFE_INTEGER);
  const concurrency = option(argv, '--concurrency', 8);
  const tid = osThreadId();

  const { trace, context } = require('@opentelemetry/api');
  const { registerInstrumentations } = require('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
  const { resourceFromAttributes } = require('@opentelemetry/resources');
  const { ATTR_SERVICE_NAME } = require('@opentelemetry/semantic-conventions');

  const threadIdProcessor = {
    onStart(span) { span.setAttribute('thread.os_id', tid); },
    onEnd() {},
    forceFlush() { return Promise.resolve(); },
    shutdown() { return Promise.resolve(); },
  };
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: 'spanprof-node-http',
      'process.pid': process.pid,
    }),
    // No endpoint (a test of the hook alone): spans are made, not sent.
    spanProcessors: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
      ? [threadIdProcessor, new BatchSpanProcessor(new OTLPTraceExporter())]
      : [threadIdProcessor],
  });
  provider.register();
  // The client below is the load, not the app: its requests get no spans, so every
  // server span is a root.
  registerInstrumentations({
    instrumentations: [new HttpInstrumentation({ ignoreOutgoingRequestHook: () => true })],
  });
  const http = require('http');  // after registerInstrumentations, so it is patched
  const tracer = trace.getTracer('spanprof-node-http');

  const checksFile = process.env.SPANPROF_TEST_CHECKS;
  const checks = [];
  const routeOfSpan = new WeakMap();  // child span -> route, for the checks
  const routeOf = (span) => (span && routeOfSpan.get(span)) || '';
  function check(where) {
    if (!checksFile) return;
    const span = trace.getActiveSpan();
    checks.push({ t: process.hrtime.bigint().toString(), tid, where, route: routeOf(span),
                  span_id: span ? span.spanContext().spanId : '' });
  }

  function computeFibonacci(n) {
    return n < 2 ? n : computeFibonacci(n - 1) + computeFibonacci(n - 2);
  }
  function computeHash(rounds) {
    let hash = 0x811c9dc5;  // FNV-1a
    for (let i = 0; i < rounds; i++) {
      hash ^= i & 0xff;
      hash = Math.imul(hash, 16777619) >>> 0;
    }
    return hash;
  }
  function computePrimes(limit) {
    let count = 0;
    for (let candidate = 2; candidate < limit; candidate++) {
      let prime = true;
      for (let d = 2; d * d <= candidate; d++) {
        if (candidate % d === 0) { prime = false; break; }
      }
      if (prime) count++;
    }
    return count;
  }
  // Each about 1.5 ms of CPU here (--light: a twentieth), in plain JS so that every
  // sample's frame-pointer stack has the route's function.
  const light = argv.includes('--light');
  const ROUTES = {
    '/fibonacci': { work: () => computeFibonacci(light ? 19 : 25), span: 'fibonacci' },
    '/hash': { work: () => computeHash(light ? 50000 : 1000000), span: 'hash' },
    '/primes': { work: () => computePrimes(light ? 4000 : 40000), span: 'primes' },
  };
  const PATHS = Object.keys(ROUTES);

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function handle(request, response) {
    const route = ROUTES[request.url];
    if (!route) {
      response.writeHead(404).end();
      return;
    }
    trace.getActiveSpan().updateName(`GET ${request.url}`);
    check('handler');
    await sleep(1 + (request.socket.remotePort % 3));  // the "database"
    check('after await');
    const value = tracer.startActiveSpan(route.span, (span) => {
      if (checksFile) routeOfSpan.set(span, request.url);
      check('in child span');
      const result = route.work();
      check('after work');
      span.end();
      return result;
    });
    check('after child span');
    await Promise.resolve();
    check('after microtask');
    response.setHeader('content-type', 'text/plain');
    response.end(`${value}\n`);
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error) => {
      console.error(error);
      response.destroy();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;

  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const deadline = Date.now() + durationMs;
  let issued = 0;
  let completed = 0;
  function get(path) {
    return new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path, agent }, (response) => {
        check('client response');
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      }).on('error', reject);
    });
  }
  async function client() {
    while (Date.now() < deadline && issued < maxRequests) {
      const path = PATHS[issued++ % PATHS.length];
      const status = await get(path);
      if (status !== 200) throw new Error(`GET ${path}: status ${status}`);
      completed++;
    }
  }
  // The main script's own context: no span.
  context.with(context.active(), () => check('top level'));
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, client));

  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  agent.destroy();
  await new Promise((resolve) => server.close(resolve));
  await provider.shutdown();  // flushes the BatchSpanProcessor
  if (checksFile) {
    fs.writeFileSync(checksFile, checks.map((c) => JSON.stringify(c)).join('\n') + '\n',
                     { flag: 'a' });
  }
  console.log(`http_server: ${completed} requests on thread ${tid} in ${elapsedMs.toFixed(1)} ms`);
}
