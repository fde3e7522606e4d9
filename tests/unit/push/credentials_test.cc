#include "push/credentials.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace spanprof::push {
namespace {

namespace fs = std::filesystem;

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("spanprof-creds-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    ::unsetenv("SPANPROF_TEST_USER");
    ::unsetenv("SPANPROF_TEST_PASS");
    ::unsetenv("SPANPROF_TEST_TOKEN");
  }
  std::string file(const std::string& name, const std::string& text) {
    std::string path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }
  fs::path dir_;
};

TEST(Base64, MatchesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST_F(CredentialsTest, BasicAuthFromEnvironment) {
  ::setenv("SPANPROF_TEST_USER", "Aladdin", 1);
  ::setenv("SPANPROF_TEST_PASS", "open sesame", 1);
  CredentialSources sources;
  sources.basic_auth_env = "SPANPROF_TEST_USER:SPANPROF_TEST_PASS";
  auto creds = load_credentials(sources);
  ASSERT_TRUE(creds) << creds.error().to_string();
  ASSERT_EQ(creds->header_lines.size(), 1u);
  // RFC 7617's example.
  EXPECT_EQ(creds->header_lines[0], "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(scrub_secrets("echo QWxhZGRpbjpvcGVuIHNlc2FtZQ== and open sesame", creds->secrets),
            "echo *** and ***");
}

TEST_F(CredentialsTest, BasicAuthAndTokenFromFiles) {
  CredentialSources basic;
  basic.basic_auth_file = file("basic", "user:pa:ss\n");
  auto creds = load_credentials(basic);
  ASSERT_TRUE(creds) << creds.error().to_string();
  EXPECT_EQ(creds->header_lines[0], "Authorization: Basic " + base64_encode("user:pa:ss"));

  CredentialSources token;
  token.token_file = file("token", "glc_abcdef123\r\n");
  creds = load_credentials(token);
  ASSERT_TRUE(creds) << creds.error().to_string();
  EXPECT_EQ(creds->header_lines[0], "Authorization: Bearer glc_abcdef123");
  EXPECT_TRUE(creds->has_auth);
}

TEST_F(CredentialsTest, ErrorsNameTheVariableOrFileButNeverTheSecret) {
  CredentialSources sources;
  sources.token_env = "SPANPROF_TEST_TOKEN";
  auto missing = load_credentials(sources, "--traces-");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().to_string().find("SPANPROF_TEST_TOKEN"), std::string::npos);
  EXPECT_NE(missing.error().to_string().find("--traces-token-env"), std::string::npos);

  CredentialSources bad_file;
  bad_file.basic_auth_file = file("nocolon", "justasecretvalue\n");
  auto bad = load_credentials(bad_file);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().to_string().find("justasecretvalue"), std::string::npos);

  CredentialSources two_lines;
  two_lines.token_file = file("two", "tok1\ntok2\n");
  EXPECT_FALSE(load_credentials(two_lines));

  CredentialSources absent;
  absent.token_file = (dir_ / "absent").string();
  EXPECT_FALSE(load_credentials(absent));

  CredentialSources both;
  both.token_env = "A";
  both.token_file = "B";
  EXPECT_FALSE(load_credentials(both));
}

TEST(Headers, ParsedValidatedAndNoAuthorization) {
  EXPECT_EQ(parse_header_line("X-Team:  profiling ", "-H").value(), "X-Team: profiling");
  EXPECT_FALSE(parse_header_line("NoColon", "-H"));
  EXPECT_FALSE(parse_header_line("Bad Name: v", "-H"));
  EXPECT_FALSE(parse_header_line("X-A: v\r\nX-B: w", "-H"));
  auto auth = parse_header_line("authorization: Bearer sekrit123", "-H");
  ASSERT_FALSE(auth);
  EXPECT_EQ(auth.error().to_string().find("sekrit123"), std::string::npos);
}

TEST(Urls, UserInfoRefusedWithoutEchoingIt) {
  EXPECT_TRUE(check_url("http://localhost:4040", "--server"));
  EXPECT_TRUE(check_url("https://profiles.example.com/prefix", "--server"));
  EXPECT_FALSE(check_url("ftp://x", "--server"));
  EXPECT_FALSE(check_url("http://", "--server"));
  auto info = check_url("https://me:hunter22@example.com/", "--server");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().to_string().find("hunter22"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::push
