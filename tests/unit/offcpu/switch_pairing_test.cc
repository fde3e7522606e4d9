// SwitchPairing: a thread's switch-out and its next switch-in make one
// off-CPU interval, with the state and stack of the sched_switch sample at
// that switch-out; what the records cannot vouch for is cut and counted, and
// every stack handle comes back exactly once.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "offcpu/switch_pairing.h"

namespace spanprof::offcpu {
namespace {

constexpr uint32_t kPid = 100;
constexpr uint64_t kSleep = 1;      // prev_state S
constexpr uint64_t kDisk = 2;       // D
constexpr uint64_t kPreempted = 0x100;  // R+
constexpr uint64_t kDead = 0x10;    // X

class Pairing : public ::testing::Test {
 protected:
  Pairing()
      : pairing_([this](const OffCpuInterval& interval) { intervals_.push_back(interval); },
                 [this](uint32_t stack) { released_.push_back(stack); }) {}

  // Every handle given to on_sched_switch came back once, in an interval or released.
  void expect_handles_back_once() {
    std::map<uint32_t, int> back;
    for (const OffCpuInterval& interval : intervals_) {
      if (interval.stack != kNoStack) ++back[interval.stack];
    }
    for (uint32_t stack : released_) ++back[stack];
    for (uint32_t stack : given_) EXPECT_EQ(back[stack], 1) << "stack " << stack;
    EXPECT_EQ(back.size(), given_.size());
  }
  void sample(uint32_t tid, uint64_t time, uint64_t prev_state, uint32_t stack) {
    given_.push_back(stack);
    pairing_.on_sched_switch(kPid, tid, time, prev_state, stack);
  }

  SwitchPairing pairing_;
  std::vector<OffCpuInterval> intervals_;
  std::vector<uint32_t> released_;
  std::vector<uint32_t> given_;
};

TEST(PrevState, FollowsTheKernelsTaskReportEncoding) {
  EXPECT_EQ(state_from_prev_state(0), ThreadState::kRunnable);
  EXPECT_EQ(state_from_prev_state(0x100), ThreadState::kRunnable);  // R+
  EXPECT_EQ(state_from_prev_state(1), ThreadState::kSleeping);
  EXPECT_EQ(state_from_prev_state(2), ThreadState::kBlocked);
  EXPECT_EQ(state_from_prev_state(0x80), ThreadState::kUnknown);  // I, idle
  EXPECT_EQ(state_from_prev_state(0x4), ThreadState::kUnknown);   // T, stopped
  EXPECT_EQ(state_from_prev_state(0x8), ThreadState::kUnknown);   // t, traced
  EXPECT_EQ(state_from_prev_state(0x10), ThreadState::kUnknown);  // X, dead
  EXPECT_EQ(state_from_prev_state(0x3), ThreadState::kUnknown);   // two bits: not one state
  EXPECT_EQ(state_from_prev_state(0x800), ThreadState::kRunnable);  // pre-4.14 "+"
}

TEST_F(Pairing, SampleJustBeforeTheSwitchOutGivesStateAndStack) {
  sample(7, 1'000, kSleep, 11);
  pairing_.on_switch_out(kPid, 7, 1'001, false);
  pairing_.on_switch_in(kPid, 7, 5'000);
  ASSERT_EQ(intervals_.size(), 1u);
  const OffCpuInterval& interval = intervals_[0];
  EXPECT_EQ(interval.pid, kPid);
  EXPECT_EQ(interval.tid, 7u);
  EXPECT_EQ(interval.start, 1'001u);
  EXPECT_EQ(interval.end, 5'000u);
  EXPECT_EQ(interval.state, ThreadState::kSleeping);
  EXPECT_EQ(interval.stack, 11u);
  EXPECT_EQ(interval.cut, Cut::kNone);
  EXPECT_EQ(pairing_.stats().intervals, 1u);
  EXPECT_EQ(pairing_.stats().samples_paired, 1u);
  EXPECT_EQ(pairing_.stats().intervals_without_stack, 0u);
  expect_handles_back_once();
}

TEST_F(Pairing, SampleAtTheSameTimeInEitherOrderPairs) {
  sample(7, 1'000, kDisk, 11);
  pairing_.on_switch_out(kPid, 7, 1'000, false);
  pairing_.on_switch_in(kPid, 7, 2'000);
  // The ordered queue may put the switch-out first when the times are equal.
  pairing_.on_switch_out(kPid, 7, 3'000, false);
  sample(7, 3'000, kSleep, 12);
  pairing_.on_switch_in(kPid, 7, 4'000);
  ASSERT_EQ(intervals_.size(), 2u);
  EXPECT_EQ(intervals_[0].state, ThreadState::kBlocked);
  EXPECT_EQ(intervals_[0].stack, 11u);
  EXPECT_EQ(intervals_[1].state, ThreadState::kSleeping);
  EXPECT_EQ(intervals_[1].stack, 12u);
  EXPECT_EQ(pairing_.stats().samples_unpaired, 0u);
  expect_handles_back_once();
}

TEST_F(Pairing, SampleAfterTheSwitchOutWithALaterTimeIsNotItsSample) {
  pairing_.on_switch_out(kPid, 7, 1'000, false);
  sample(7, 1'500, kSleep, 11);  // not this switch's: it would have come first
  pairing_.on_switch_in(kPid, 7, 2'000);
  ASSERT_EQ(intervals_.size(), 1u);
  EXPECT_EQ(intervals_[0].stack, kNoStack);
  EXPECT_EQ(intervals_[0].state, ThreadState::kUnknown);
  EXPECT_EQ(pairing_.stats().intervals_without_stack, 1u);
  EXPECT_EQ(pairing_.stats().samples_unpaired, 1u);
  EXPECT_EQ(released_, std::vector<uint32_t>{11});
  expect_handles_back_once();
}

TEST_F(Pairing, SampleTooLongBeforeTheSwitchOutIsReleasedUnpaired) {
  sample(7, 1'000, kSleep, 11);
  pairing_.on_switch_out(kPid, 7, 1'000 + kSampleToSwitchOutNs + 1, false);
  pairing_.on_switch_in(kPid, 7, kSampleToSwitchOutNs + 5'000'000);
  ASSERT_EQ(intervals_.size(), 1u);
  EXPECT_EQ(intervals_[0].stack, kNoStack);
  EXPECT_EQ(pairing_.stats().samples_unpaired, 1u);
  // At the tolerance exactly, it still pairs.
  const uint64_t later = kSampleToSwitchOutNs + 6'000'000;
  sample(7, later, kSleep, 12);
  pairing_.on_switch_out(kPid, 7, later + kSampleToSwitchOutNs, false);
  pairing_.on_switch_in(kPid, 7, later + kSampleToSwitchOutNs + 3'000'000);
  ASSERT_EQ(intervals_.size(), 2u);
  EXPECT_EQ(intervals_[1].stack, 12u);
  expect_handles_back_once();
}

TEST_F(Pairing, UnpairedSamplesComeBackThroughRelease) {
  sample(7, 1'000, kSleep, 11);
  sample(7, 2'000, kSleep, 12);    // the first one's switch-out never came
  pairing_.on_switch_in(kPid, 7, 3'000);  // ran again: 12's switch-out was lost too
  sample(8, 4'000, kSleep, 13);    // still waiting at the end
  EXPECT_EQ(pairing_.pending_samples(), 1u);
  pairing_.finish(10'000);
  EXPECT_EQ(released_, (std::vector<uint32_t>{11, 12, 13}));
  EXPECT_EQ(pairing_.stats().samples_unpaired, 3u);
  EXPECT_EQ(pairing_.stats().samples, 3u);
  EXPECT_EQ(pairing_.pending_samples(), 0u);
  EXPECT_TRUE(intervals_.empty());
  expect_handles_back_once();
}

TEST_F(Pairing, PreemptedSwitchOutIsRunnableWithOrWithoutASample) {
  sample(7, 1'000, kPreempted, 11);
  pairing_.on_switch_out(kPid, 7, 1'000, true);
  pairing_.on_switch_in(kPid, 7, 2'000);
  pairing_.on_switch_out(kPid, 7, 3'000, true);  // no sample: the preempt bit tells
  pairing_.on_switch_in(kPid, 7, 4'000);
  pairing_.on_switch_out(kPid, 7, 5'000, false);  // no sample, not preempted: unknown
  pairing_.on_switch_in(kPid, 7, 6'000);
  ASSERT_EQ(intervals_.size(), 3u);
  EXPECT_EQ(intervals_[0].state, ThreadState::kRunnable);
  EXPECT_EQ(intervals_[1].state, ThreadState::kRunnable);
  EXPECT_EQ(intervals_[2].state, ThreadState::kUnknown);
  EXPECT_EQ(pairing_.stats().intervals_without_stack, 2u);
  expect_handles_back_once();
}

TEST_F(Pairing, OpenIntervalsAreCutAtCaptureEnd) {
  sample(7, 1'000, kSleep, 11);
  pairing_.on_switch_out(kPid, 7, 1'000, false);
  pairing_.on_switch_out(kPid, 8, 500, false);
  EXPECT_EQ(pairing_.open_intervals(), 2u);
  pairing_.finish(9'000);
  ASSERT_EQ(intervals_.size(), 2u);
  EXPECT_EQ(intervals_[0].tid, 8u);  // by start
  EXPECT_EQ(intervals_[1].tid, 7u);
  for (const OffCpuInterval& interval : intervals_) {
    EXPECT_EQ(interval.cut, Cut::kCaptureEnd);
    EXPECT_EQ(interval.end, 9'000u);
  }
  EXPECT_EQ(intervals_[1].stack, 11u);
  EXPECT_EQ(pairing_.stats().cut_capture_end, 2u);
  EXPECT_EQ(pairing_.stats().intervals, 0u);
  EXPECT_EQ(pairing_.open_intervals(), 0u);
  expect_handles_back_once();
}

TEST_F(Pairing, CpuMigrationIsAnOrdinaryInterval) {
  // The pairing is per thread: the CPUs of the records do not enter into it.
  pairing_.on_switch_out(kPid, 7, 1'000, false);  // on cpu 1
  pairing_.on_switch_in(kPid, 7, 2'000);          // on cpu 3
  ASSERT_EQ(intervals_.size(), 1u);
  EXPECT_EQ(intervals_[0].cut, Cut::kNone);
  EXPECT_EQ(intervals_[0].end - intervals_[0].start, 1'000u);
}

TEST_F(Pairing, SwitchOutBeforeTheFirstSampleHasNoStack) {
  // The capture began between the tracepoint and the switch-out record.
  pairing_.on_switch_out(kPid, 7, 1'000, false);
  pairing_.on_switch_in(kPid, 7, 2'000);
  sample(7, 2'999, kSleep, 11);
  pairing_.on_switch_out(kPid, 7, 3'000, false);
  pairing_.on_switch_in(kPid, 7, 4'000);
  ASSERT_EQ(intervals_.size(), 2u);
  EXPECT_EQ(intervals_[0].stack, kNoStack);
  EXPECT_EQ(intervals_[0].cut, Cut::kNone);
  EXPECT_EQ(intervals_[1].stack, 11u);
  EXPECT_EQ(pairing_.stats().intervals_without_stack, 1u);
  EXPECT_EQ(pairing_.stats().ins_without_out, 0u);
  expect_handles_back_once();
}

TEST_F(Pairing, SwitchInFirstIsCountedNotPaired) {
  pairing_.on_switch_in(kPid, 7, 1'000);  // off-CPU since before the capture
  pairing_.on_switch_out(kPid, 7, 2'000, false);
  pairing_.on_switch_in(kPid, 7, 3'000);
  pairing_.on_switch_in(kPid, 7, 4'000);  // its switch-out was lost
  EXPECT_EQ(pairing_.stats().ins_without_out, 1u);
  EXPECT_EQ(pairing_.stats().ins_after_in, 1u);
  ASSERT_EQ(intervals_.size(), 1u);
  EXPECT_EQ(intervals_[0].start, 2'000u);
  EXPECT_EQ(intervals_[0].end, 3'000u);
}

TEST_F(Pairing, TwoSwitchOutsInARowCutTheFirstAsLost) {
  sample(7, 1'000, kSleep, 11);
  pairing_.on_switch_out(kPid, 7, 1'000, false);
  sample(7, 5'000, kDisk, 12);
  pairing_.on_switch_out(kPid, 7, 5'000, false);
  pairing_.on_switch_in(kPid, 7, 8'000);
  ASSERT_EQ(intervals_.size(), 2u);
  EXPECT_EQ(intervals_[0].cut, Cut::kLost);
  EXPECT_EQ(intervals_[0].stack, 11u);
  EXPECT_EQ(intervals_[0].end, 5'000u);
  EXPECT_EQ(intervals_[1].cut, Cut::kNone);
  EXPECT_EQ(intervals_[1].state, ThreadState::kBlocked);
  EXPECT_EQ(intervals_[1].stack, 12u);
  EXPECT_EQ(pairing_.stats().cut_lost, 1u);
  EXPECT_EQ(pairing_.stats().cut_lost_ns, 4'000u);
  expect_handles_back_once();
}

TEST_F(Pairing, ExitRecordBeforeTheLastSwitchOutCutsItAsThreadExit) {
  pairing_.on_switch_out(kPid, 7, 1'000, false);
  pairing_.on_switch_in(kPid, 7, 2'000);
  pairing_.on_exit(kPid, 7, 3'000);  // do_exit writes it, then the thread switches away for good
  sample(7, 3'100, kDead, 11);
  pairing_.on_switch_out(kPid, 7, 3'101, false);
  ASSERT_EQ(intervals_.size(), 2u);
  EXPECT_EQ(intervals_[1].cut, Cut::kThreadExit);
  EXPECT_EQ(intervals_[1].start, 3'101u);
  EXPECT_EQ(intervals_[1].end, 3'101u);
  EXPECT_EQ(intervals_[1].stack, 11u);
  EXPECT_EQ(intervals_[1].state, ThreadState::kUnknown);
  EXPECT_EQ(pairing_.open_intervals(), 0u);
  // A new thread with the same tid starts with a switch-in.
  pairing_.on_switch_in(kPid, 7, 9'000);
  EXPECT_EQ(pairing_.stats().ins_without_out, 1u);
  EXPECT_EQ(pairing_.stats().ins_after_in, 0u);
  pairing_.finish(10'000);
  EXPECT_EQ(intervals_.size(), 2u);
  expect_handles_back_once();
}

TEST_F(Pairing, ANewThreadsFirstSwitchInStartsIt) {
  pairing_.on_fork(kPid, 7, 500);
  pairing_.on_switch_in(kPid, 7, 1'000);
  pairing_.on_switch_in(kPid, 8, 1'000);  // no fork seen: off-CPU since before the capture
  EXPECT_EQ(pairing_.stats().thread_starts, 1u);
  EXPECT_EQ(pairing_.stats().ins_without_out, 1u);
  EXPECT_TRUE(intervals_.empty());
}

TEST_F(Pairing, AForkReusingTheTidOfAThreadStillOutEndsItsInterval) {
  sample(7, 1'000, kSleep, 11);
  pairing_.on_switch_out(kPid, 7, 1'000, false);
  sample(7, 1'500, kSleep, 12);  // its switch-out lost, and then its exit record
  pairing_.on_fork(kPid, 7, 2'000);
  ASSERT_EQ(intervals_.size(), 1u);
  EXPECT_EQ(intervals_[0].cut, Cut::kThreadExit);
  EXPECT_EQ(intervals_[0].end, 2'000u);
  EXPECT_EQ(released_, std::vector<uint32_t>{12});
  pairing_.on_switch_in(kPid, 7, 2'500);
  EXPECT_EQ(pairing_.stats().thread_starts, 1u);
  expect_handles_back_once();
}

TEST_F(Pairing, ExitWhileSwitchedOutCutsTheOpenInterval) {
  sample(7, 1'000, kSleep, 11);
  pairing_.on_switch_out(kPid, 7, 1'000, false);
  pairing_.on_exit(kPid, 7, 4'000);
  ASSERT_EQ(intervals_.size(), 1u);
  EXPECT_EQ(intervals_[0].cut, Cut::kThreadExit);
  EXPECT_EQ(intervals_[0].end, 4'000u);
  EXPECT_EQ(intervals_[0].stack, 11u);
  EXPECT_EQ(pairing_.stats().cut_thread_exit, 1u);
  pairing_.finish(5'000);
  EXPECT_EQ(intervals_.size(), 1u);
  expect_handles_back_once();
}

TEST_F(Pairing, LostNoticeCutsEveryOpenIntervalWhateverTheCpu) {
  pairing_.on_switch_out(kPid, 7, 1'000, false);
  pairing_.on_switch_out(kPid, 8, 1'500, false);
  pairing_.on_switch_out(kPid, 9, 1'600, false);
  pairing_.on_switch_in(kPid, 9, 1'700);  // closed before the notice: stands
  pairing_.on_lost(2'000, 3);
  pairing_.on_switch_out(kPid, 10, 2'500, false);  // opened after the notice: stands
  pairing_.on_switch_in(kPid, 7, 3'000);
  pairing_.on_switch_in(kPid, 10, 3'500);
  pairing_.finish(4'000);
  ASSERT_EQ(intervals_.size(), 4u);
  std::map<uint32_t, OffCpuInterval> by_tid;
  for (const OffCpuInterval& interval : intervals_) by_tid[interval.tid] = interval;
  EXPECT_EQ(by_tid[9].cut, Cut::kNone);
  EXPECT_EQ(by_tid[7].cut, Cut::kLost);
  EXPECT_EQ(by_tid[7].end, 3'000u);  // what ended it, though it may not be its end
  EXPECT_EQ(by_tid[8].cut, Cut::kLost);  // not kCaptureEnd: the loss comes first
  EXPECT_EQ(by_tid[10].cut, Cut::kNone);
  const PairingStats& stats = pairing_.stats();
  EXPECT_EQ(stats.lost_notices, 1u);
  EXPECT_EQ(stats.cut_lost, 2u);
  EXPECT_EQ(stats.cut_lost_by_switch_in, 1u);
  EXPECT_EQ(stats.cut_lost_ns, 2'000u + 2'500u);
  EXPECT_EQ(stats.intervals, 2u);
}

TEST_F(Pairing, SwitchInEarlierThanItsSwitchOutIsCutNotNegative) {
  pairing_.on_switch_out(kPid, 7, 5'000, false);
  pairing_.on_switch_in(kPid, 7, 4'000);
  ASSERT_EQ(intervals_.size(), 1u);
  EXPECT_EQ(intervals_[0].cut, Cut::kLost);
  EXPECT_EQ(intervals_[0].end, 5'000u);
  EXPECT_EQ(pairing_.stats().out_of_order, 1u);
}

TEST_F(Pairing, ManyThreadsInterleavedPairPerThread) {
  // Threads 1..8 switch out at 10*t, back in at 1000 + t, in round-robin;
  // each sample comes just before its own thread's switch-out.
  constexpr uint32_t kThreads = 8;
  for (int round = 0; round < 50; ++round) {
    uint64_t base = static_cast<uint64_t>(round) * 10'000;
    for (uint32_t tid = 1; tid <= kThreads; ++tid) {
      sample(tid, base + 10 * tid - 1, tid % 2 ? kSleep : kDisk, round * 100 + tid);
      pairing_.on_switch_out(kPid, tid, base + 10 * tid, false);
    }
    for (uint32_t tid = kThreads; tid >= 1; --tid) pairing_.on_switch_in(kPid, tid, base + 1'000 + tid);
  }
  pairing_.finish(1'000'000);
  ASSERT_EQ(intervals_.size(), 50u * kThreads);
  for (const OffCpuInterval& interval : intervals_) {
    ASSERT_EQ(interval.cut, Cut::kNone);
    uint64_t base = interval.start / 10'000 * 10'000;
    EXPECT_EQ(interval.start, base + 10 * interval.tid);
    EXPECT_EQ(interval.end, base + 1'000 + interval.tid);
    EXPECT_EQ(interval.stack, base / 10'000 * 100 + interval.tid);
    EXPECT_EQ(interval.state, interval.tid % 2 ? ThreadState::kSleeping : ThreadState::kBlocked);
  }
  const PairingStats& stats = pairing_.stats();
  EXPECT_EQ(stats.ins_without_out, 0u);
  EXPECT_EQ(stats.samples_unpaired, 0u);
  EXPECT_EQ(stats.switch_outs, stats.intervals);
  expect_handles_back_once();
}

TEST_F(Pairing, WithoutAReleaseCallbackUnpairedSamplesAreCountedOnly) {
  std::vector<OffCpuInterval> out;
  SwitchPairing pairing([&](const OffCpuInterval& interval) { out.push_back(interval); });
  pairing.on_sched_switch(kPid, 7, 1'000, kSleep, 11);
  pairing.finish(2'000);
  EXPECT_EQ(pairing.stats().samples_unpaired, 1u);
  EXPECT_TRUE(out.empty());
}

TEST_F(Pairing, CanBeFedAgainAfterFinish) {
  pairing_.on_switch_out(kPid, 7, 1'000, false);
  pairing_.finish(2'000);
  pairing_.on_switch_in(kPid, 7, 3'000);  // a fresh start: this is the thread's first record
  EXPECT_EQ(pairing_.stats().ins_without_out, 1u);
  EXPECT_EQ(intervals_.size(), 1u);
}

}  // namespace
}  // namespace spanprof::offcpu
