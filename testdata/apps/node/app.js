// A Node.js app traced with the OpenTelemetry SDK, for spanprof's receiver tests.
//
//   node --perf-basic-prof --interpreted-frames-native-stack app.js [--duration-ms N]
//
// Serves "requests" on the main thread: a root span per request, and a child
// span around each named function that burns CPU. Spans go out by OTLP/HTTP
// protobuf to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (what `spanprof run` sets) and
// carry the OS thread id (thread.os_id), which Node does not expose otherwise.
// SIGINT/SIGTERM stop the loop; the last spans are flushed before exit.
'use strict';

const fs = require('fs');
const { trace } = require('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { ATTR_SERVICE_NAME } = require('@opentelemetry/semantic-conventions');

function parseDurationMs(argv) {
  const at = argv.indexOf('--duration-ms');
  if (at < 0) return 1500;
  const value = Number(argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`spanprof-node-app: bad --duration-ms '${argv[at + 1]}'`);
    process.exit(2);
  }
  return value;
}

// "PID/task/TID" (FACTS: the Node way to the OS thread id).
function osThreadId() {
  const link = fs.readlinkSync('/proc/thread-self');
  return Number(link.split('/').pop());
}

function fibonacciWork(n) {
  return n < 2 ? n : fibonacciWork(n - 1) + fibonacciWork(n - 2);
}

function sortWork(n) {
  let seed = n;
  const values = new Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    values[i] = seed;
  }
  values.sort((a, b) => a - b);
  return values[n >> 1];
}

const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({
    [ATTR_SERVICE_NAME]: 'spanprof-node-app',
    'process.pid': process.pid,
  }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
});
provider.register();  // the context manager that lets spans nest
const tracer = trace.getTracer('spanprof-node-app');
const tid = osThreadId();

const KINDS = [
  { route: 'GET /fibonacci', span: 'fibonacci', work: () => fibonacciWork(30) },
  { route: 'GET /sort', span: 'sort', work: () => sortWork(60000) },
];

function serveRequest(kind) {
  return tracer.startActiveSpan(kind.route, { attributes: { 'thread.os_id': tid } }, (root) => {
    const result = tracer.startActiveSpan(kind.span, { attributes: { 'thread.os_id': tid } },
      (child) => {
        const value = kind.work();
        child.end();
        return value;
      });
    root.end();
    return result;
  });
}

async function main() {
  const deadline = Date.now() + parseDurationMs(process.argv);
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopping = true; });
  let requests = 0;
  let checksum = 0;
  while (!stopping && Date.now() < deadline) {
    checksum = (checksum + serveRequest(KINDS[requests % KINDS.length])) % 1000003;
    requests++;
    // Between requests the event loop runs: exports, signals.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await provider.shutdown();  // flushes the BatchSpanProcessor
  console.log(`spanprof-node-app: ${requests} requests, checksum ${checksum}` +
              (stopping ? ' (stopped by a signal)' : ''));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
