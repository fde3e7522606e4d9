// The view model gathered from a join's sinks, on a hand-made span set and
// profile: stacks become frame paths (inlined frames their own), samples keep
// their thread and innermost span, and the span chain goes up to the local
// root whatever thread it is on.
#include <gtest/gtest.h>

#include "view/view_model.h"
#include "view_fixture.h"

namespace spanprof::view {
namespace {

std::vector<std::string> names_of(const ViewModel& model, const std::vector<uint32_t>& frames) {
  std::vector<std::string> out;
  for (uint32_t f : frames) out.push_back(model.frames[f].function);
  return out;
}

TEST(ViewCollector, StacksAreFramePathsRootFirstWithInlinedFrames) {
  ViewFixture fx;
  ViewModel model = fx.collect();
  ASSERT_EQ(model.samples.size(), 5u);
  const Sample& first = model.samples[0];
  EXPECT_EQ(names_of(model, stack_frames(model, first.stack)),
            (std::vector<std::string>{"main", "f", "inlined_leaf"}));
  EXPECT_EQ(model.frames[model.stacks[first.stack].frame].file, "f.h");
  // Unsymbolized: the address, with its mapping.
  const Sample& remote = model.samples[2];
  std::vector<uint32_t> frames = stack_frames(model, remote.stack);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(model.frames[frames[1]].function, "0x30");
  EXPECT_EQ(model.frames[frames[1]].module, "/bin/app");
  // One node per distinct path: main is shared.
  EXPECT_EQ(stack_frames(model, model.samples[1].stack), std::vector<uint32_t>{frames[0]});
}

TEST(ViewCollector, SamplesKeepThreadSpanAndTheSameThreadChain) {
  ViewFixture fx;
  ViewModel model = fx.collect();
  ASSERT_EQ(model.threads.size(), 2u);
  EXPECT_EQ(model.threads[0].tid, 7u);
  EXPECT_EQ(model.threads[0].name, "app");
  EXPECT_EQ(model.threads[1].name, "helper");
  const Sample& in_work = model.samples[0];
  EXPECT_EQ(model.names[model.spans[in_work.span].name], "work");
  EXPECT_EQ(model.names[model.spans[in_work.span_top].name], "GET /x");
  // tid 8's span is a child of GET /x, which runs on tid 7: the sample is in both.
  const Sample& remote = model.samples[2];
  EXPECT_EQ(model.names[model.spans[remote.span].name], "remote");
  EXPECT_EQ(model.names[model.spans[remote.span_top].name], "GET /x");
  EXPECT_EQ(model.samples[3].span, kNone);
  EXPECT_EQ(model.samples[3].span_top, kNone);

  std::vector<std::string> chain;
  for_each_span_of(model, in_work, [&](uint32_t s) { chain.push_back(model.names[model.spans[s].name]); });
  EXPECT_EQ(chain, (std::vector<std::string>{"work", "GET /x"}));
}

TEST(ViewCollector, OffCpuPiecesHaveTheirStateAndTheJoinsTimes) {
  ViewFixture fx;
  ViewModel model = fx.collect();
  const Sample& off = model.samples[4];
  EXPECT_EQ(off.kind, SampleKind::kSleeping);
  EXPECT_EQ(off.weight, 50);
  EXPECT_EQ(names_of(model, stack_frames(model, off.stack)),
            (std::vector<std::string>{"main", "wait"}));
  EXPECT_TRUE(model.has_off_cpu);
  EXPECT_TRUE(model.event_is_time);
  EXPECT_EQ(model.duration_ns, 2000);
  ASSERT_TRUE(model.start_ns.has_value());
  EXPECT_EQ(*model.start_ns, 0);
  // Every span of the set is there, placed on its thread by its thread id.
  ASSERT_EQ(model.spans.size(), 4u);
  EXPECT_EQ(model.spans[0].thread, 0u);
  EXPECT_EQ(model.spans[3].thread, 1u);
  EXPECT_TRUE(model.spans_joined);
}

TEST(ViewCollector, WithoutSpansNothingIsInASpan) {
  ViewFixture fx;
  fx.with_spans = false;
  ViewModel model = fx.collect();
  EXPECT_FALSE(model.spans_joined);
  EXPECT_TRUE(model.spans.empty());
  for (const Sample& sample : model.samples) EXPECT_EQ(sample.span, kNone);
}

}  // namespace
}  // namespace spanprof::view
