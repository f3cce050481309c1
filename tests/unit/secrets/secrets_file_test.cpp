// SPDX-License-Identifier: Apache-2.0
// secrets.env: generated values follow upstream's format rules, the file is 0600 and round
// trips, checks catch broken secrets, and a Secret never prints its value by accident.
#include <supactl/core/error.hpp>
#include <supactl/secrets/jwt.hpp>
#include <supactl/secrets/random.hpp>
#include <supactl/secrets/secrets_file.hpp>

#include "support/temp_dir.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <regex>
#include <set>
#include <sstream>

namespace supactl::secrets {
namespace {

constexpr std::int64_t k_now = 1767225600;

const std::string& value(const Secrets& s, const char* name) { return s.at(name).reveal(); }

TEST(Secrets, GeneratedSetFollowsUpstreamFormats) {
  Secrets s = generate_secrets(k_now);
  std::regex hex32("^[0-9a-f]{32}$");
  EXPECT_TRUE(std::regex_match(value(s, "POSTGRES_PASSWORD"), hex32));
  EXPECT_GE(value(s, "JWT_SECRET").size(), 40u);
  EXPECT_EQ(value(s, "DASHBOARD_USERNAME"), "supabase");
  EXPECT_GE(value(s, "DASHBOARD_PASSWORD").size(), 16u);
  EXPECT_EQ(value(s, "SECRET_KEY_BASE").size(), 64u);
  EXPECT_EQ(value(s, "VAULT_ENC_KEY").size(), 32u);
  EXPECT_GE(value(s, "PG_META_CRYPTO_KEY").size(), 32u);
  EXPECT_EQ(value(s, "REALTIME_DB_ENC_KEY").size(), 16u);
  EXPECT_GE(value(s, "LOGFLARE_PUBLIC_ACCESS_TOKEN").size(), 32u);
  EXPECT_GE(value(s, "LOGFLARE_PRIVATE_ACCESS_TOKEN").size(), 32u);
  EXPECT_FALSE(value(s, "MINIO_ROOT_USER").empty());
  EXPECT_GE(value(s, "MINIO_ROOT_PASSWORD").size(), 8u);
  EXPECT_TRUE(std::regex_match(value(s, "S3_PROTOCOL_ACCESS_KEY_ID"), hex32));
  EXPECT_TRUE(std::regex_match(value(s, "S3_PROTOCOL_ACCESS_KEY_SECRET"), std::regex("^[0-9a-f]{64}$")));
  auto anon = verify_hs256(value(s, "ANON_KEY"), value(s, "JWT_SECRET"), k_now);
  auto service = verify_hs256(value(s, "SERVICE_ROLE_KEY"), value(s, "JWT_SECRET"), k_now);
  ASSERT_TRUE(anon && service);
  EXPECT_EQ((*anon)["role"], "anon");
  EXPECT_EQ((*service)["role"], "service_role");
  EXPECT_TRUE(check_secrets(s, k_now).empty()) << fmt::format("{}", fmt::join(check_secrets(s, k_now), "; "));
}

TEST(Secrets, TwoGenerationsShareNoRandomValue) {
  Secrets a = generate_secrets(k_now);
  Secrets b = generate_secrets(k_now);
  for (const char* name : {"POSTGRES_PASSWORD", "JWT_SECRET", "ANON_KEY", "SECRET_KEY_BASE", "VAULT_ENC_KEY"}) {
    EXPECT_NE(value(a, name), value(b, name)) << name;
  }
}

TEST(Secrets, RandomHelpersHaveExactLengthAndAlphabet) {
  EXPECT_TRUE(std::regex_match(random_hex(7), std::regex("^[0-9a-f]{7}$")));
  EXPECT_TRUE(std::regex_match(random_alnum(200), std::regex("^[A-Za-z0-9]{200}$")));
  EXPECT_EQ(random_bytes(33).size(), 33u);
}

TEST(Secrets, FileIsWrittenWithMode0600AndRoundTrips) {
  test::TempDir dir;
  Secrets s = generate_secrets(k_now);
  write_secrets_file(dir.path() / "secrets.env", s);
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() / "secrets.env").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Secrets back = read_secrets_file(dir.path() / "secrets.env");
  EXPECT_EQ(back, s);
}

TEST(Secrets, AFileOthersOrTheGroupCanReadIsRefused) {
  test::TempDir dir;
  const std::filesystem::path file = dir.path() / "secrets.env";
  write_secrets_file(file, generate_secrets(k_now));
  for (mode_t mode : {0640, 0604, 0660, 0620}) {
    ASSERT_EQ(::chmod(file.c_str(), mode), 0);
    try {
      read_secrets_file(file);
      ADD_FAILURE() << "accepted mode " << std::oct << mode;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage) << e.what();
      EXPECT_NE(std::string(e.what()).find("readable by other users"), std::string::npos) << e.what();
    }
  }
  ASSERT_EQ(::chmod(file.c_str(), 0400), 0);
  EXPECT_NO_THROW(read_secrets_file(file));
}

TEST(Secrets, ChecksNameBrokenLengthsAndForeignKeys) {
  Secrets s = generate_secrets(k_now);
  s["VAULT_ENC_KEY"] = Secret("short");
  s["REALTIME_DB_ENC_KEY"] = Secret("0123456789abcdef0");
  s["ANON_KEY"] = Secret(make_api_key("anon", "another-secret-of-forty-characters-long!!", k_now));
  s["SERVICE_ROLE_KEY"] = Secret(make_api_key("anon", value(s, "JWT_SECRET"), k_now));
  s.erase("POSTGRES_PASSWORD");
  std::string all = fmt::format("{}", fmt::join(check_secrets(s, k_now), "\n"));
  EXPECT_NE(all.find("POSTGRES_PASSWORD is missing"), std::string::npos) << all;
  EXPECT_NE(all.find("VAULT_ENC_KEY must be exactly 32 characters (it has 5)"), std::string::npos) << all;
  EXPECT_NE(all.find("REALTIME_DB_ENC_KEY must be exactly 16"), std::string::npos) << all;
  EXPECT_NE(all.find("ANON_KEY does not verify against JWT_SECRET"), std::string::npos) << all;
  EXPECT_NE(all.find("SERVICE_ROLE_KEY carries role `anon`"), std::string::npos) << all;
}

TEST(Secrets, MissingOnesAreAddedWithoutChangingExistingValues) {
  Secrets s = generate_secrets(k_now);
  Secrets before = s;
  s.erase("S3_PROTOCOL_ACCESS_KEY_SECRET");
  std::vector<std::string> added = add_missing_secrets(s, k_now);
  EXPECT_EQ(added, std::vector<std::string>{"S3_PROTOCOL_ACCESS_KEY_SECRET"});
  for (const auto& [name, v] : before) {
    if (name != "S3_PROTOCOL_ACCESS_KEY_SECRET") {
      EXPECT_EQ(s.at(name), v) << name;
    }
  }
}

TEST(Secrets, ParseReportsBadLineWithNumber) {
  try {
    parse_secrets_env("# comment\nA=1\nthis is not a pair\n", "secrets.env");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "secrets.env:3: expected KEY=value");
    EXPECT_EQ(e.code(), ExitCode::usage);
  }
  Secrets s = parse_secrets_env("export A=\"x y\"\nB='z'\n\nC=a=b\n", "x");
  EXPECT_EQ(value(s, "A"), "x y");
  EXPECT_EQ(value(s, "B"), "z");
  EXPECT_EQ(value(s, "C"), "a=b");
}

TEST(Secret, NeverPrintsItsValueThroughFmtOrStreams) {
  Secret s("hunter2-very-secret");
  EXPECT_EQ(fmt::format("{}", s), "<redacted>");
  EXPECT_EQ(fmt::format("pw={:>12}", s), "pw=  <redacted>");
  std::ostringstream out;
  out << s;
  EXPECT_EQ(out.str(), "<redacted>");
  EXPECT_EQ(s.reveal(), "hunter2-very-secret");
}

}  // namespace
}  // namespace supactl::secrets
