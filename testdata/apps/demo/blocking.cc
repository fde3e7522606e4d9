#include "blocking.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "span_writer.h"

namespace demo {
namespace {

enum class Kind { sleep, mutex, pipe, cpu };
constexpr Kind kKinds[] = {Kind::sleep, Kind::mutex, Kind::pipe, Kind::cpu};

std::string_view span_name(Kind kind) {
  switch (kind) {
    case Kind::sleep:
      return "sleep";
    case Kind::mutex:
      return "mutex";
    case Kind::pipe:
      return "pipe";
    case Kind::cpu:
      return "cpu";
  }
  return "unknown";
}

void sleep_ms(int64_t ms) {
  timespec left{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1'000'000};
  while (clock_nanosleep(CLOCK_MONOTONIC, 0, &left, &left) == EINTR) {
  }
}

// What a worker asks of its helper; the helper answers through the same state.
class Helper {
 public:
  enum class Job { none, hold_mutex, write_pipe, quit };

  Helper(int pipe_write_fd, int64_t span_ms) : pipe_fd_(pipe_write_fd), span_ms_(span_ms) {}

  std::mutex& contended() { return contended_; }

  void post(Job job) {
    std::lock_guard lock(state_mutex_);
    job_ = job;
    changed_.notify_all();
  }

  // Returns once the helper holds the contended mutex (before the span starts). The
  // helper keeps holding it until request_lock, so this cannot miss it.
  void wait_until_holding() {
    std::unique_lock lock(state_mutex_);
    changed_.wait(lock, [this] { return holding_; });
  }

  // The worker is about to lock: from now on the helper holds the mutex span_ms.
  void request_lock() {
    std::lock_guard lock(state_mutex_);
    lock_requested_ = true;
    changed_.notify_all();
  }

  void serve() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(state_mutex_);
        changed_.wait(lock, [this] { return job_ != Job::none; });
        job = job_;
        job_ = Job::none;
      }
      if (job == Job::quit) return;
      if (job == Job::hold_mutex) {
        std::lock_guard held(contended_);
        {
          std::unique_lock lock(state_mutex_);
          holding_ = true;
          changed_.notify_all();
          changed_.wait(lock, [this] { return lock_requested_; });
          lock_requested_ = false;
        }
        sleep_ms(span_ms_);
        std::lock_guard lock(state_mutex_);
        holding_ = false;
      } else {
        sleep_ms(span_ms_);
        const char byte = 'x';
        if (::write(pipe_fd_, &byte, 1) != 1) std::perror("spanprof-demo: write to pipe");
      }
    }
  }

 private:
  std::mutex state_mutex_;
  std::condition_variable changed_;
  Job job_ = Job::none;
  bool holding_ = false;         // until just before contended_ is unlocked
  bool lock_requested_ = false;  // the worker is about to wait for contended_
  std::mutex contended_;
  int pipe_fd_;
  int64_t span_ms_;
};

}  // namespace

// The blocking calls are never in tail position (each loops or does something
// after), so these frames stay on the stack under libc's wrappers.
__attribute__((noinline)) void wait_sleeping(int64_t ms) {
  sleep_ms(ms);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void wait_for_mutex(std::mutex& contended) {
  contended.lock();
  contended.unlock();
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void wait_for_pipe(int fd) {
  char byte = 0;
  while (::read(fd, &byte, 1) < 0 && errno == EINTR) {
  }
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) uint64_t burn_cpu(int64_t ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 1000; ++i) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
    }
  }
  return state;
}

namespace {

BlockingTally work(int index, const BlockingOptions& options, Helper& helper, int pipe_read_fd,
                   SpanWriter* spans) {
  BlockingTally tally;
  const int kinds = static_cast<int>(std::size(kKinds));
  for (int step = 0; step < options.rounds * kinds; ++step) {
    Kind kind = kKinds[(index + step) % kinds];
    if (kind == Kind::mutex) {
      helper.post(Helper::Job::hold_mutex);
      helper.wait_until_holding();
    }
    if (kind == Kind::pipe) helper.post(Helper::Job::write_pipe);
    ScopedSpan span(spans, span_name(kind), nullptr, true);
    switch (kind) {
      case Kind::sleep:
        wait_sleeping(options.span_ms);
        break;
      case Kind::mutex:
        helper.request_lock();
        wait_for_mutex(helper.contended());
        break;
      case Kind::pipe:
        wait_for_pipe(pipe_read_fd);
        break;
      case Kind::cpu:
        tally.result ^= burn_cpu(options.span_ms);
        break;
    }
    ++tally.spans;
  }
  return tally;
}

}  // namespace

BlockingTally run_blocking(const BlockingOptions& options, SpanWriter* spans) {
  struct Pair {
    int fds[2] = {-1, -1};
    std::unique_ptr<Helper> helper;
    BlockingTally tally;
  };
  std::vector<Pair> pairs(static_cast<size_t>(options.threads));
  for (Pair& pair : pairs) {
    if (::pipe(pair.fds) != 0) {
      std::perror("spanprof-demo: pipe");
      return {};
    }
    pair.helper = std::make_unique<Helper>(pair.fds[1], options.span_ms);
  }
  std::vector<std::thread> threads;
  for (size_t k = 0; k < pairs.size(); ++k) {
    Pair& pair = pairs[k];
    threads.emplace_back([&pair, k] {
      pthread_setname_np(pthread_self(), ("helper-" + std::to_string(k + 1)).c_str());
      pair.helper->serve();
    });
    threads.emplace_back([&pair, &options, spans, k] {
      pthread_setname_np(pthread_self(), ("blocker-" + std::to_string(k + 1)).c_str());
      pair.tally = work(static_cast<int>(k), options, *pair.helper, pair.fds[0], spans);
      pair.helper->post(Helper::Job::quit);
    });
  }
  for (auto& thread : threads) thread.join();
  BlockingTally total;
  for (Pair& pair : pairs) {
    total.spans += pair.tally.spans;
    total.result ^= pair.tally.result;
    ::close(pair.fds[0]);
    ::close(pair.fds[1]);
  }
  return total;
}

}  // namespace demo
