// What the command line says about a push, checked and turned into the options
// of its two halves: shaping (push_plan.h) and delivery (delivery.h). Shared by
// `spanprof push DIR --server URL` and `spanprof run --push URL`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capture/capture_record.h"
#include "common/result.h"
#include "push/credentials.h"
#include "push/delivery.h"
#include "push/push_plan.h"

namespace spanprof::push {

struct PushSettings {
  std::string server;  // --server (push) or --push (run)
  std::string protocol = "push";
  std::string service_name;
  std::vector<std::string> labels;  // k=v
  bool no_span_name = false;
  std::string traces_endpoint;
  bool shift_to_now = false;
  int64_t max_age_s = 3600;
  std::string tenant;
  std::string traces_tenant;
  CredentialSources credentials;
  CredentialSources traces_credentials;
  std::string cacert;
  bool insecure = false;
  double connect_timeout_s = 10;
  double timeout_s = 60;
  int max_attempts = 6;
  double max_retry_time_s = 120;
  bool reshape = false;
  std::string buildid_dir;  // "" = $HOME/.debug
  bool no_kernel = false;
  // The join's span-matching options as given (--spans, --activations,
  // --span-scope, --tid-attribute, --max-spans, --clock-offset; push only: run's
  // push joins the capture as run's join does). Those not given come from the
  // capture's last `spanprof join DIR` (capture.json).
  capture::RecordedJoin matching;
  // The join's symbolizing options, as `spanprof join DIR` takes them.
  std::string kernel_symbols = "auto";        // --kernel-symbols auto|always|never
  std::string perf_map_dir = "/tmp";          // --perf-map-dir
  bool debuginfod = false;                    // --debuginfod
  // What the server keeps (docs/push.md): the uncompressed bytes of one
  // request (one profile), the tenant's ingestion rate and burst to pace to.
  uint64_t max_request_bytes = 1u << 20;      // --max-request-bytes
  double rate_limit_bytes_per_s = 4u << 20;   // --rate-limit (0: no pacing)
  uint64_t burst_bytes = 2u << 20;            // --burst
  bool no_trace_id_label = false;             // --no-trace-id-label (servers up to v2.0.6, 1.x)
  bool host_label = false;                    // --host-label: hostname=<the capture's host>
  // --profiles cpu,off-cpu,wall: which of the join's profiles are sent; ""
  // sends every one the capture has.
  std::string profiles;
  // The user gave an option that changes what is shaped: a resumed push then
  // notes when the earlier shaping used other ones.
  bool shaping_given = false;
};

struct PreparedPush {
  ShapeOptions shape;
  DeliveryOptions delivery;
};

// Every check a push makes before it reads anything: URLs, protocol, labels,
// limits, timeouts, tenants, then the credentials (loaded from their files and
// variables). Errors are usage errors, one line, naming the flag.
Result<PreparedPush> prepare_push(const PushSettings& settings);

}  // namespace spanprof::push
