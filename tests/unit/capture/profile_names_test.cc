// The profiles a join writes beside its main output (capture/layout.h): their
// names for DIR/profile.pb.gz and for another output, and that `run --force`
// counts them as the capture's own.
#include <gtest/gtest.h>

#include "capture/layout.h"

namespace spanprof::capture {
namespace {

TEST(ProfileNames, BesideProfilePbGzTheyHaveTheirOwnNames) {
  EXPECT_EQ(sibling_profile_path("/d/profile.pb.gz", SiblingProfile::kOffCpu), "/d/offcpu.pb.gz");
  EXPECT_EQ(sibling_profile_path("/d/profile.pb.gz", SiblingProfile::kWall), "/d/wall.pb.gz");
  EXPECT_EQ(sibling_profile_path("profile.pb.gz", SiblingProfile::kWall), "wall.pb.gz");
  EXPECT_EQ(event_profile_path("/d/profile.pb.gz", "instructions"),
            "/d/profile-instructions.pb.gz");
}

TEST(ProfileNames, BesideAnotherOutputTheyTakeItsStem) {
  EXPECT_EQ(sibling_profile_path("/d/run1.pb.gz", SiblingProfile::kOffCpu),
            "/d/run1.offcpu.pb.gz");
  EXPECT_EQ(sibling_profile_path("out", SiblingProfile::kWall), "out.wall.pb.gz");
  EXPECT_EQ(event_profile_path("/d/run1.pb.gz", "sched:sched_switch"),
            "/d/run1-sched_sched_switch.pb.gz")
      << "characters a file name should not hold become _";
  EXPECT_EQ(event_profile_path("/d.x/p.gz", "a/b"), "/d.x/p-a_b.pb.gz");
}

TEST(ProfileNames, RunForceRemovesThemWithTheCapture) {
  for (const char* name : {"offcpu.pb.gz", "wall.pb.gz", "profile-instructions.pb.gz"}) {
    EXPECT_TRUE(is_capture_file_name(name)) << name;
  }
  EXPECT_FALSE(is_capture_file_name("profile-notes.txt"));
  EXPECT_FALSE(is_capture_file_name("my-offcpu.pb.gz"));
}

}  // namespace
}  // namespace spanprof::capture
