// The namespace-id poller on this test's own process tree: it walks threads
// and children, and lists only threads in a pid namespace below its own.
#include "record/namespace_id_poller.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

namespace spanprof::record {
namespace {

namespace fs = std::filesystem;

TEST(NamespaceIdPoller, ThreadsInOurOwnNamespaceAreSeenButNotWritten) {
  fs::path path = fs::temp_directory_path() /
                  ("spanprof-nsids-" + std::to_string(::getpid()) + ".tsv");
  fs::remove(path);
  // A second thread, and a child process to be found through the children lists.
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char byte;
    ::close(pipe_fds[1]);
    (void)!::read(pipe_fds[0], &byte, 1);  // until the parent closes its end
    ::_exit(0);
  }
  ::close(pipe_fds[0]);
  bool stop = false;
  std::thread worker([&stop] {
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) std::this_thread::yield();
  });

  NamespaceIdPoller poller(path.string());
  ASSERT_TRUE(poller.poll(::getpid()).has_value());
  ASSERT_TRUE(poller.poll(::getpid()).has_value());
  // This process's threads (the test's and the worker) and the child, each once.
  EXPECT_GE(poller.stats().tasks_seen, 3u);
  EXPECT_EQ(poller.stats().polls, 2u);
  EXPECT_EQ(poller.stats().threads_written, 0u);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(poller.stats().task_cap_reached);

  __atomic_store_n(&stop, true, __ATOMIC_RELEASE);
  worker.join();
  ::close(pipe_fds[1]);
  ::waitpid(child, nullptr, 0);
}

TEST(NamespaceIdPoller, AProcessThatIsGoneIsNoError) {
  NamespaceIdPoller poller((fs::temp_directory_path() / "spanprof-nsids-gone.tsv").string());
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(poller.poll(child).has_value());
  EXPECT_EQ(poller.stats().tasks_seen, 0u);
}

}  // namespace
}  // namespace spanprof::record
