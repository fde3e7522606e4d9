#include "push/outbox.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace spanprof::push {
namespace {

namespace fs = std::filesystem;

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spanprof-outbox-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Batch batch(std::string id, std::string body) {
    Batch b;
    b.info.id = std::move(id);
    b.info.kind = BatchKind::kPyroscopeIngest;
    b.info.path_and_query = "/ingest?name=app%7B%7D&from=1&until=2&format=pprof";
    b.info.content_type = "application/octet-stream";
    b.info.profiles = 1;
    b.info.samples = 7;
    b.info.window_start_ns = 1'700'000'000'000'000'000;
    b.info.window_end_ns = 1'700'000'010'000'000'000;
    b.body = std::move(body);
    return b;
  }

  fs::path dir_;
};

TEST_F(OutboxTest, EmptyWhenNothingWasWritten) {
  Outbox outbox(dir_.string());
  auto pending = outbox.batches();
  ASSERT_TRUE(pending.has_value());
  EXPECT_TRUE(pending->empty());
}

TEST_F(OutboxTest, RoundTripsBatchesInIdOrder) {
  Outbox outbox(dir_.string());
  std::string binary("\0\x01\xff\"quote\"", 10);
  ASSERT_TRUE(outbox.write(batch("000002-traces", "second")).has_value());
  ASSERT_TRUE(outbox.write(batch("000001-profile", binary)).has_value());
  auto pending = outbox.batches();
  ASSERT_TRUE(pending.has_value());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].id, "000001-profile");
  EXPECT_EQ((*pending)[0].kind, BatchKind::kPyroscopeIngest);
  EXPECT_EQ((*pending)[0].path_and_query, "/ingest?name=app%7B%7D&from=1&until=2&format=pprof");
  EXPECT_EQ((*pending)[0].samples, 7u);
  EXPECT_EQ((*pending)[0].window_start_ns, 1'700'000'000'000'000'000);
  EXPECT_EQ((*pending)[0].body_bytes, binary.size());
  auto body = outbox.read_body((*pending)[0]);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(*body, binary);
}

TEST_F(OutboxTest, OrphanBodiesAndTemporariesAreRemoved) {
  Outbox outbox(dir_.string());
  fs::create_directories(dir_ / "outbox");
  std::ofstream(dir_ / "outbox" / "000009-profile.body") << "orphan";
  std::ofstream(dir_ / "outbox" / "000010-profile.json.tmp") << "{";
  std::ofstream(dir_ / "outbox" / "000011-profile.body.tmp-4242-7") << "half";
  auto pending = outbox.batches();
  ASSERT_TRUE(pending.has_value());
  EXPECT_TRUE(pending->empty());
  EXPECT_FALSE(fs::exists(dir_ / "outbox" / "000009-profile.body"));
  EXPECT_FALSE(fs::exists(dir_ / "outbox" / "000010-profile.json.tmp"));
  EXPECT_FALSE(fs::exists(dir_ / "outbox" / "000011-profile.body.tmp-4242-7"));
}

TEST_F(OutboxTest, DamagedEntryIsAnErrorNamingTheFile) {
  Outbox outbox(dir_.string());
  ASSERT_TRUE(outbox.write(batch("000001-profile", "a")).has_value());
  std::ofstream(dir_ / "outbox" / "000001-profile.json", std::ios::trunc) << "{\"schema\":";
  auto pending = outbox.batches();
  ASSERT_FALSE(pending.has_value());
  EXPECT_NE(pending.error().where.find("000001-profile.json"), std::string::npos);
}

TEST_F(OutboxTest, TruncatedBodyIsDetected) {
  Outbox outbox(dir_.string());
  ASSERT_TRUE(outbox.write(batch("000001-profile", "abcdef")).has_value());
  std::ofstream(dir_ / "outbox" / "000001-profile.body", std::ios::trunc) << "abc";
  auto pending = outbox.batches();
  ASSERT_TRUE(pending.has_value());
  auto body = outbox.read_body((*pending)[0]);
  EXPECT_FALSE(body.has_value());
}

TEST_F(OutboxTest, RejectsIdsThatAreNotPlainNames) {
  Outbox outbox(dir_.string());
  EXPECT_FALSE(outbox.write(batch("../escape", "a")).has_value());
  EXPECT_FALSE(outbox.write(batch("", "a")).has_value());
}

TEST_F(OutboxTest, EntriesOfTheEarlierSchemaAreAnErrorHintingReshape) {
  Outbox outbox(dir_.string());
  ASSERT_TRUE(outbox.write(batch("000001-profile", "a")).has_value());
  std::ofstream(dir_ / "outbox" / "000001-profile.json", std::ios::trunc)
      << R"({"schema":"spanprof.outbox/1","id":"000001-profile"})";
  auto batches = outbox.batches();
  ASSERT_FALSE(batches.has_value());
  EXPECT_NE(batches.error().message.find("spanprof.outbox/1"), std::string::npos);
  EXPECT_NE(batches.error().hint.find("--reshape"), std::string::npos);
}

TEST_F(OutboxTest, ProfileTypeRoundTripsAndEntriesWithoutItHoldCpuProfiles) {
  Outbox outbox(dir_.string());
  Batch wall = batch("000001-wall", "w");
  wall.info.profile_type = "wall";
  ASSERT_TRUE(outbox.write(wall).has_value());
  ASSERT_TRUE(outbox.write(batch("000002-profile", "p")).has_value());
  Batch traces = batch("000003-traces", "t");
  traces.info.kind = BatchKind::kOtlpTraces;
  ASSERT_TRUE(outbox.write(traces).has_value());
  // An entry as spanprof wrote them before off-CPU pushes: no profile_type.
  std::ofstream(dir_ / "outbox" / "000002-profile.json", std::ios::trunc)
      << R"({"schema":"spanprof.outbox/2","id":"000002-profile","kind":"pyroscope-push",)"
      << R"("path_and_query":"/push.v1.PusherService/Push","content_type":"application/proto",)"
      << R"("profiles":1,"samples":3,"spans":0,"window_start_ns":1,"window_end_ns":2,)"
      << R"("body_bytes":1,"uncompressed_bytes":9})";
  std::ofstream(dir_ / "outbox" / "000003-traces.json", std::ios::trunc)
      << R"({"schema":"spanprof.outbox/2","id":"000003-traces","kind":"otlp-traces",)"
      << R"("path_and_query":"","content_type":"application/x-protobuf",)"
      << R"("profiles":0,"samples":0,"spans":4,"window_start_ns":0,"window_end_ns":0,)"
      << R"("body_bytes":1,"uncompressed_bytes":0})";
  auto batches = outbox.batches();
  ASSERT_TRUE(batches.has_value()) << batches.error().to_string();
  ASSERT_EQ(batches->size(), 3u);
  EXPECT_EQ((*batches)[0].profile_type, "wall");
  EXPECT_EQ((*batches)[1].profile_type, "process_cpu");
  EXPECT_EQ((*batches)[1].samples, 3u);
  EXPECT_EQ((*batches)[2].profile_type, "");
}

Destination destination(DeliveryClass what, const std::string& url, const std::string& tenant = "") {
  auto d = destination_for(what, url, tenant);
  EXPECT_TRUE(d.has_value()) << url;
  return d ? *d : Destination{};
}

TEST_F(OutboxTest, DestinationsAreClassUrlAndTenantWithoutQueryOrTrailingSlash) {
  const Destination a = destination(DeliveryClass::kProfiles, "http://Pyro:80/");
  EXPECT_EQ(a.key(), destination(DeliveryClass::kProfiles, "http://pyro").key());
  EXPECT_EQ(a.key(), destination(DeliveryClass::kProfiles, "http://pyro/?x=1#f").key());
  EXPECT_EQ(a.canonical(), "profiles http://pyro:80/ tenant=");
  EXPECT_EQ(a.describe(), "http://pyro");
  for (const Destination& other :
       {destination(DeliveryClass::kTraces, "http://pyro"),
        destination(DeliveryClass::kProfiles, "https://pyro"),
        destination(DeliveryClass::kProfiles, "http://pyro:4040"),
        destination(DeliveryClass::kProfiles, "http://pyro/prefix"),
        destination(DeliveryClass::kProfiles, "http://pyro", "team-a")}) {
    EXPECT_NE(a.key(), other.key()) << other.canonical();
  }
  EXPECT_EQ(a.key().size(), 16u);
  EXPECT_EQ(destination(DeliveryClass::kTraces, "http://t:4318/v1/traces", "x").describe(),
            "http://t:4318/v1/traces (tenant x)");
}

TEST_F(OutboxTest, ALedgerRecordsAcknowledgementsPerDestination) {
  Outbox outbox(dir_.string());
  ASSERT_TRUE(outbox.write(batch("000001-profile", "a")).has_value());
  const Destination a = destination(DeliveryClass::kProfiles, "http://a:4040?token=x", "t1");
  const Destination b = destination(DeliveryClass::kProfiles, "http://b:4040");
  auto ledger = outbox.ledger(a);
  ASSERT_TRUE(ledger.has_value());
  EXPECT_FALSE(ledger->existed());
  ASSERT_TRUE(ledger->record("000001-profile").has_value());
  ASSERT_TRUE(ledger->record("000002-profile").has_value());

  auto again = outbox.ledger(a);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->existed());
  EXPECT_EQ(again->ids(), (std::set<std::string>{"000001-profile", "000002-profile"}));
  auto other = outbox.ledger(b);
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(other->existed());
  EXPECT_TRUE(other->ids().empty());

  // The batches stay; the ledger's first line names the destination, no query.
  EXPECT_TRUE(fs::exists(dir_ / "outbox" / "000001-profile.body"));
  std::ifstream in(again->path());
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "# spanprof.delivered/1 profiles http://a:4040/ tenant=t1");
  EXPECT_EQ(fs::path(again->path()).filename().string(), "delivered-" + a.key() + ".log");
}

TEST_F(OutboxTest, ATornLastLineIsIgnoredAndCutBeforeTheNextAppend) {
  Outbox outbox(dir_.string());
  const Destination a = destination(DeliveryClass::kTraces, "http://t/v1/traces");
  auto ledger = outbox.ledger(a);
  ASSERT_TRUE(ledger.has_value());
  ASSERT_TRUE(ledger->record("000001-traces").has_value());
  std::ofstream(ledger->path(), std::ios::app) << "000002-tra";  // crash mid-append
  auto torn = outbox.ledger(a);
  ASSERT_TRUE(torn.has_value());
  EXPECT_EQ(torn->ids(), (std::set<std::string>{"000001-traces"}));
  ASSERT_TRUE(torn->record("000003-traces").has_value());
  auto after = outbox.ledger(a);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->ids(), (std::set<std::string>{"000001-traces", "000003-traces"}));
}

TEST_F(OutboxTest, ADamagedOrForeignLedgerIsAnError) {
  Outbox outbox(dir_.string());
  const Destination a = destination(DeliveryClass::kProfiles, "http://a");
  auto ledger = outbox.ledger(a);
  ASSERT_TRUE(ledger.has_value());
  ASSERT_TRUE(ledger->record("000001-profile").has_value());
  std::string path = ledger->path();
  std::ofstream(path, std::ios::app) << "not/an id\n";
  auto damaged = outbox.ledger(a);
  ASSERT_FALSE(damaged.has_value());
  EXPECT_EQ(damaged.error().where, path);
  EXPECT_NE(damaged.error().message.find("line 3"), std::string::npos);

  std::ofstream(path, std::ios::trunc) << "# spanprof.delivered/1 profiles http://z:80/ tenant=\n";
  auto foreign = outbox.ledger(a);
  ASSERT_FALSE(foreign.has_value());
  EXPECT_NE(foreign.error().message.find("another destination"), std::string::npos);
}

TEST_F(OutboxTest, ClearDropsBatchesAndLedgersEvenOfAnotherVersion) {
  Outbox outbox(dir_.string());
  ASSERT_TRUE(outbox.write(batch("000001-profile", "a")).has_value());
  auto ledger = outbox.ledger(destination(DeliveryClass::kProfiles, "http://a"));
  ASSERT_TRUE(ledger.has_value());
  ASSERT_TRUE(ledger->record("000001-profile").has_value());
  std::ofstream(dir_ / "outbox" / "000002-profile.json") << R"({"schema":"spanprof.outbox/1"})";
  ASSERT_TRUE(outbox.clear().has_value());
  EXPECT_TRUE(fs::is_empty(dir_ / "outbox"));
  auto batches = outbox.batches();
  ASSERT_TRUE(batches.has_value());
  EXPECT_TRUE(batches->empty());
}

}  // namespace
}  // namespace spanprof::push
