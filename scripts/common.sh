# Shared by scripts/demo, scripts/test and scripts/bench: install what is
# missing (Debian 12, as root), then configure and build with meson/ninja.
# Sourced, not run.

SPANPROF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages spanprof needs to build, test and demo.
SPANPROF_PACKAGES=(
  g++ meson ninja-build pkg-config python3
  linux-perf elfutils libdw-dev libelf-dev
  libcli11-dev libfmt-dev libprotobuf-dev protobuf-compiler
  zlib1g-dev libzstd-dev libgtest-dev
  golang-go clang lld libsimdjson-dev libcurl4-openssl-dev
  libc6-dbg  # the goldens symbolize libc from its debug file, as on the recording machine
)

# Installs the packages that are not installed yet (apt-get update first).
spanprof_install_packages() {
  local missing=()
  local pkg
  for pkg in "${SPANPROF_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "spanprof: missing packages: ${missing[*]}; run this script as root (it installs them with apt-get) or install them yourself" >&2
    return 1
  fi
  echo "spanprof: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || return 1
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || return 1
}

# Configures (once) and builds build dir $1 with extra meson options $2...
spanprof_build() {
  local dir="$1"
  shift
  if [ ! -f "$SPANPROF_ROOT/$dir/build.ninja" ]; then
    meson setup "$SPANPROF_ROOT/$dir" "$SPANPROF_ROOT" -Dwerror=true "$@" >&2 || return 1
  fi
  ninja -C "$SPANPROF_ROOT/$dir" >&2 || return 1
}

# perf refuses to sample other users' or kernel activity when the paranoid level
# is high; as root this is never a problem, otherwise say why.
spanprof_check_perf() {
  if ! command -v perf >/dev/null 2>&1; then
    echo "spanprof: perf is not installed (apt-get install linux-perf)" >&2
    return 1
  fi
  local paranoid
  paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 2)
  if [ "$(id -u)" -ne 0 ] && [ "$paranoid" -gt 1 ]; then
    echo "spanprof: kernel.perf_event_paranoid is $paranoid: as a normal user perf can only profile user space; run as root or: sysctl kernel.perf_event_paranoid=1" >&2
  fi
}

# The Node.js app of the receiver test needs the OpenTelemetry JS SDK from npm
# (pinned in testdata/apps/node/package-lock.json). Without node, Debian's
# nodejs and npm are installed. A failure here only makes that test skip.
spanprof_install_node_app() {
  if [ -d "$SPANPROF_ROOT/testdata/apps/node/node_modules/@opentelemetry/instrumentation-http" ]; then
    return 0
  fi
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >&2 || true
    fi
  fi
  bash "$SPANPROF_ROOT/scripts/install-node-app" >&2 ||
    echo "spanprof: could not install the Node.js test app's packages; its test will be skipped" >&2
}

# The report page's browser test needs Debian's chromium and playwright-core
# from npm (pinned in tests/browser/package-lock.json; it drives the installed
# chromium and never downloads a browser). A failure here only makes that test skip.
spanprof_install_browser_test() {
  if [ "$(id -u)" -eq 0 ] && ! command -v chromium >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2 ||
      echo "spanprof: could not install chromium; the browser test will be skipped" >&2
  fi
  if [ -d "$SPANPROF_ROOT/tests/browser/node_modules/playwright-core" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "spanprof: npm is missing; the browser test will be skipped" >&2
    return 0
  fi
  (cd "$SPANPROF_ROOT/tests/browser" && npm ci --no-audit --no-fund >&2) ||
    echo "spanprof: could not install playwright-core; the browser test will be skipped" >&2
}
