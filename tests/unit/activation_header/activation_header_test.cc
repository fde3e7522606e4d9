// spanprof/activation.h end to end in processes of its own: the header reads
// SPANPROF_ACTIVATIONS_DIR once per process, so each case forks a child that sets it,
// makes its calls and exits; the parent decodes what the child left in DIR.
#include <spanprof/activation.h>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "activation_file.h"

namespace activation_test {
namespace {

const Ids kNone{};

void activate(const Ids& ids) { spanprof_activate(ids.data(), ids.data() + 16); }

class ActivationHeader : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/spanprof-activation-test-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    dir_ = name;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs body in a child process with SPANPROF_ACTIVATIONS_DIR=env_dir (unset when
  // null), then ends it with _exit(0), which skips the header's atexit flush; a body
  // may end the child itself (exit(0) runs it). Returns the child's pid.
  pid_t run_child(const char* env_dir, const std::function<void()>& body) {
    std::fflush(nullptr);  // nothing buffered is written twice
    pid_t pid = fork();
    if (pid == 0) {
      if (env_dir == nullptr) {
        unsetenv("SPANPROF_ACTIVATIONS_DIR");
      } else {
        setenv("SPANPROF_ACTIVATIONS_DIR", env_dir, 1);
      }
      body();
      _exit(0);
    }
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    return pid;
  }
  pid_t run_child(const std::function<void()>& body) { return run_child(dir_.c_str(), body); }

  std::vector<Ids> ids_of(const ActivationFile& file) {
    std::vector<Ids> ids;
    for (const auto& record : file.records) ids.push_back(record.ids);
    return ids;
  }

  std::string dir_;
};

TEST_F(ActivationHeader, WritesNothingWithoutTheVariable) {
  auto calls = [] {
    activate(make_ids(1, 2));
    spanprof_deactivate();
    spanprof_flush();
    std::exit(0);
  };
  run_child(nullptr, calls);
  run_child("", calls);
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(ActivationHeader, RecordsChangesOnlyAndFlushesAtExit) {
  Ids a = make_ids(0x10, 0x20), b = make_ids(0x30, 0x40);
  pid_t pid = run_child([&] {
    activate(a);
    activate(a);
    activate(b);
    activate(b);
    spanprof_deactivate();
    spanprof_deactivate();
    spanprof_activate(nullptr, nullptr);  // no span, as deactivate: no change
    std::exit(0);
  });
  ActivationFile file = read_activation_file(dir_, pid);
  ASSERT_TRUE(file.exists);
  EXPECT_EQ(file.problem, "");
  EXPECT_EQ(file.mode, 0600u);
  EXPECT_EQ(file.pid, static_cast<uint32_t>(pid));
  EXPECT_GT(file.monotonic_ns, 0u);
  EXPECT_GT(file.realtime_ns, 0u);
  EXPECT_EQ(ids_of(file), (std::vector<Ids>{a, b, kNone}));
  uint64_t previous = 0;
  for (const auto& record : file.records) {
    EXPECT_EQ(record.pid, static_cast<uint32_t>(pid));
    EXPECT_EQ(record.tid, static_cast<uint32_t>(pid));  // the main thread's tid is the pid
    EXPECT_GE(record.time_ns, previous);
    EXPECT_LE(record.time_ns, file.monotonic_ns);  // buffered before the file was created
    previous = record.time_ns;
  }
}

TEST_F(ActivationHeader, BuffersUntilFlushed) {
  Ids a = make_ids(1, 1), b = make_ids(2, 2);
  pid_t unflushed = run_child([&] { activate(a); });
  EXPECT_FALSE(read_activation_file(dir_, unflushed).exists);
  pid_t flushed = run_child([&] {
    activate(a);
    spanprof_flush();
    activate(b);  // buffered: lost at _exit
  });
  EXPECT_EQ(ids_of(read_activation_file(dir_, flushed)), (std::vector<Ids>{a}));
}

TEST_F(ActivationHeader, FlushesAFullBuffer) {
  constexpr int kTransitions = 1100;  // more than the default 1024 records of a buffer
  pid_t pid = run_child([] {
    for (int i = 0; i < kTransitions; ++i) activate(make_ids(static_cast<uint8_t>(i), 7));
  });
  ActivationFile file = read_activation_file(dir_, pid);
  EXPECT_EQ(file.problem, "");
  // A full buffer was written; a stall of 100 ms may have written more, never out of order.
  ASSERT_GE(file.records.size(), 1024u);
  ASSERT_LT(file.records.size(), static_cast<size_t>(kTransitions));
  for (size_t i = 0; i < file.records.size(); ++i) {
    EXPECT_EQ(file.records[i].ids, make_ids(static_cast<uint8_t>(i), 7)) << "record " << i;
  }
}

TEST_F(ActivationHeader, FlushesOldRecordsAtTheNextTransition) {
  Ids a = make_ids(1, 1), b = make_ids(2, 2);
  pid_t pid = run_child([&] {
    activate(a);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // past the 100 ms limit
    activate(b);
  });
  EXPECT_EQ(ids_of(read_activation_file(dir_, pid)), (std::vector<Ids>{a, b}));
}

TEST_F(ActivationHeader, FlushesAtThreadExit) {
  Ids a = make_ids(1, 1);
  pid_t pid = run_child([&] {
    std::thread thread([&] {
      activate(a);
      spanprof_deactivate();
    });
    thread.join();
  });
  ActivationFile file = read_activation_file(dir_, pid);
  ASSERT_EQ(ids_of(file), (std::vector<Ids>{a, kNone}));
  EXPECT_NE(file.records[0].tid, static_cast<uint32_t>(pid));
  EXPECT_EQ(file.records[0].tid, file.records[1].tid);
}

TEST_F(ActivationHeader, ThreadsAppendWholeRecordsInTimeOrder) {
  constexpr int kThreads = 4, kTransitions = 5000;
  pid_t pid = run_child([] {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t] {
        for (int i = 0; i < kTransitions; ++i) {
          if (i % 2 == 0) {
            activate(make_ids(static_cast<uint8_t>(t), static_cast<uint8_t>(i / 2)));
          } else {
            spanprof_deactivate();
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
  });
  ActivationFile file = read_activation_file(dir_, pid);
  EXPECT_EQ(file.problem, "");
  std::map<uint32_t, std::vector<Record>> by_thread;
  for (const auto& record : file.records) by_thread[record.tid].push_back(record);
  ASSERT_EQ(by_thread.size(), static_cast<size_t>(kThreads));
  for (const auto& [tid, records] : by_thread) {
    ASSERT_EQ(records.size(), static_cast<size_t>(kTransitions)) << "tid " << tid;
    int thread = records[0].ids[0];
    for (size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(records[i].pid, static_cast<uint32_t>(pid));
      Ids expected = i % 2 == 0 ? make_ids(static_cast<uint8_t>(thread),
                                           static_cast<uint8_t>(i / 2))
                                : kNone;
      ASSERT_EQ(records[i].ids, expected) << "tid " << tid << " record " << i;
      if (i > 0) {
        ASSERT_GE(records[i].time_ns, records[i - 1].time_ns);
      }
    }
  }
}

TEST_F(ActivationHeader, AForkedChildWritesItsOwnFile) {
  Ids a = make_ids(1, 1), b = make_ids(2, 2);
  pid_t parent = run_child([&] {
    activate(a);  // buffered when the process forks
    std::fflush(nullptr);
    pid_t child = fork();
    if (child == 0) {
      activate(b);
      std::exit(0);
    }
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) _exit(1);
    std::exit(0);
  });
  std::vector<pid_t> pids = activation_file_pids(dir_);
  ASSERT_EQ(pids.size(), 2u);
  pid_t child = pids[0] == parent ? pids[1] : pids[0];
  ActivationFile parent_file = read_activation_file(dir_, parent);
  EXPECT_EQ(ids_of(parent_file), (std::vector<Ids>{a}));
  // The child starts with the span current at the fork, stamped in the child.
  ActivationFile child_file = read_activation_file(dir_, child);
  EXPECT_EQ(child_file.problem, "");
  EXPECT_EQ(child_file.pid, static_cast<uint32_t>(child));
  ASSERT_EQ(ids_of(child_file), (std::vector<Ids>{a, b}));
  for (const auto& record : child_file.records) {
    EXPECT_EQ(record.pid, static_cast<uint32_t>(child));
    EXPECT_EQ(record.tid, static_cast<uint32_t>(child));
  }
  EXPECT_GT(child_file.records[0].time_ns, parent_file.records[0].time_ns);
}

TEST_F(ActivationHeader, AFileThatExistsIsLeftAloneAndTheErrorSaysWhy) {
  pid_t pid = run_child([&] {
    std::string taken = dir_ + "/activations-" + std::to_string(getpid()) + ".bin";
    std::fclose(std::fopen(taken.c_str(), "w"));
    activate(make_ids(1, 1));
    spanprof_flush();
    activate(make_ids(2, 2));
    std::exit(0);
  });
  std::string error = read_text(dir_ + "/activations-" + std::to_string(pid) + ".error");
  EXPECT_NE(error.find("cannot create activations-PID.bin: File exists"), std::string::npos)
      << error;
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 1) << error;
  EXPECT_EQ(read_text(dir_ + "/activations-" + std::to_string(pid) + ".bin"), "");
}

TEST_F(ActivationHeader, AFailedWriteStopsTheProcessRecords) {
  constexpr rlim_t kFileLimit = 200;  // the header and 4 records; the error line fits too
  pid_t pid = run_child([&] {
    signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
    rlimit limit{kFileLimit, kFileLimit};
    setrlimit(RLIMIT_FSIZE, &limit);
    for (uint8_t i = 0; i < 10; ++i) activate(make_ids(i, i));
    spanprof_flush();  // 400 bytes: a short write
    for (uint8_t i = 0; i < 3; ++i) activate(make_ids(i, 0));
    spanprof_flush();  // nothing: the process has given up
    std::exit(0);
  });
  std::string error = read_text(dir_ + "/activations-" + std::to_string(pid) + ".error");
  EXPECT_NE(error.find("cannot write activations-PID.bin"), std::string::npos) << error;
  ActivationFile file = read_activation_file(dir_, pid);
  EXPECT_EQ(file.records.size(), 4u);  // what fitted; nothing after the failure
}

TEST_F(ActivationHeader, AMissingDirectoryCostsTheAppNothing) {
  std::string missing = dir_ + "/missing";
  run_child(missing.c_str(), [] {
    activate(make_ids(1, 1));
    spanprof_flush();
    std::exit(0);
  });
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

}  // namespace
}  // namespace activation_test
