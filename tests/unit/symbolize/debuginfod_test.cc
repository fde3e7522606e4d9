// Debuginfod is asked only when the symbolizer's options allow it, with DEBUGINFOD_URLS set
// either way: a local TCP port stands in for the server and counts the connections.
#include <arpa/inet.h>
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "symbolizer_setup.h"

namespace spanprof::symbolize {
namespace {

namespace fs = std::filesystem;

// Listens on 127.0.0.1 and closes every connection at once (the client then fails fast
// instead of waiting for an answer), counting them.
class FakeDebuginfodServer {
 public:
  FakeDebuginfodServer() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(fd_, 16) != 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeDebuginfodServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }

  bool ok() const { return port_ != 0; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 20) <= 0) continue;
      int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      ++connections_;
      close(client);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

class DebuginfodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("spanprof-debuginfod-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "cache");
    // Without debug info and without a debuglink, nothing local can be found: libdwfl's
    // standard lookup would go on to debuginfod.
    stripped_ = dir_ / "libstripped.so";
    std::string command = "objcopy --strip-debug '" + std::string(FIXTURE_GNU_LD) + "' '" +
                          stripped_.string() + "'";
    if (std::system(command.c_str()) != 0) GTEST_SKIP() << "objcopy not available";
    ASSERT_TRUE(server_.ok());
    setenv("DEBUGINFOD_URLS", server_.url().c_str(), 1);
    // A fresh client cache: a remembered failure would stop the client from connecting.
    setenv("DEBUGINFOD_CACHE_PATH", (dir_ / "cache").c_str(), 1);
    setenv("DEBUGINFOD_RETRY_LIMIT", "0", 1);
  }
  void TearDown() override {
    unsetenv("DEBUGINFOD_URLS");
    unsetenv("DEBUGINFOD_CACHE_PATH");
    unsetenv("DEBUGINFOD_RETRY_LIMIT");
    fs::remove_all(dir_);
  }

  // Symbolizes an address in the stripped library's text (GNU ld: file offset = vaddr).
  void symbolize_with(bool debuginfod) {
    SymbolizerOptions options;
    options.use_kallsyms = false;
    options.debuginfod = debuginfod;
    SymbolizerSetup setup(options);
    process::Mapping mapping{.start = 0, .end = 1ull << 40, .pgoff = 0,
                             .filename = stripped_.string(), .build_id = "",
                             .kernel = false, .executable = true};
    void* handle = dlopen(FIXTURE_GNU_LD, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle, nullptr);
    Dl_info info{};
    ASSERT_NE(dladdr(dlsym(handle, "fixture_plain"), &info), 0);
    uint64_t vaddr = reinterpret_cast<uint64_t>(dlsym(handle, "fixture_plain")) -
                     reinterpret_cast<uint64_t>(info.dli_fbase);
    // The symbol table still names it; the lookup of DWARF is what may reach the network.
    const Frames& frames = setup.symbolize(mapping, vaddr);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].function, "fixture_plain");
    EXPECT_EQ(frames[0].line, 0);
    dlclose(handle);
  }

  fs::path dir_;
  fs::path stripped_;
  FakeDebuginfodServer server_;
};

TEST_F(DebuginfodTest, OffNeverConnectsAndOnDoes) {
  symbolize_with(false);
  EXPECT_EQ(server_.connections(), 0);
  EXPECT_NE(std::getenv("DEBUGINFOD_URLS"), nullptr);  // the environment is left alone

  // The control: allowed, the same lookup reaches the server, so the count above can fail.
  if (dlopen("libdebuginfod.so.1", RTLD_LAZY | RTLD_NOLOAD) == nullptr &&
      dlopen("libdebuginfod.so.1", RTLD_LAZY) == nullptr) {
    GTEST_SKIP() << "no libdebuginfod: libdwfl cannot ask a server";
  }
  symbolize_with(true);
  EXPECT_GT(server_.connections(), 0);
}

}  // namespace
}  // namespace spanprof::symbolize
