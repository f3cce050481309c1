// SPDX-License-Identifier: Apache-2.0
#include <supactl/core/error.hpp>
#include <supactl/stack/stack.hpp>

#include <gtest/gtest.h>

namespace supactl::stack {
namespace {

docker::ContainerSummary container(const std::string& instance, const std::string& service, int n,
                                   const std::string& state, const std::string& status) {
  docker::ContainerSummary c;
  c.name = instance + "-" + service + "-" + std::to_string(n);
  c.state = state;
  c.status = status;
  c.labels = {{compose::k_label_instance, instance},
              {compose::k_label_project, instance},
              {compose::k_label_service, service},
              {compose::k_label_number, std::to_string(n)}};
  return c;
}

TEST(Summarize, GroupsByInstanceAndJudgesHealth) {
  std::vector<docker::ContainerSummary> cs = {
      container("shop", "db", 1, "running", "Up 1 minute (healthy)"),
      container("shop", "rest", 1, "running", "Up 1 minute"),
      container("blog", "db", 1, "running", "Up 1 minute (unhealthy)"),
  };
  auto out = summarize(cs, {}, {});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].instance, "blog");
  EXPECT_FALSE(out[0].healthy);
  EXPECT_EQ(out[1].instance, "shop");
  EXPECT_TRUE(out[1].healthy);
  EXPECT_EQ(out[1].services[0].containers[0].health, docker::Health::healthy);
}

TEST(Summarize, MissingExpectedServiceMakesInstanceUnhealthy) {
  auto out =
      summarize({container("shop", "db", 1, "running", "Up 1 minute (healthy)")}, {{"shop", {"db", "auth"}}}, {});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].healthy);
  EXPECT_EQ(out[0].missing, std::vector<std::string>{"auth"});
}

TEST(Summarize, CompletedJobCountsAsOkButFailedJobDoesNot) {
  auto ok = summarize({container("shop", "minio-init", 1, "exited", "Exited (0) 1 minute ago")}, {}, {"minio-init"});
  EXPECT_TRUE(ok[0].healthy);
  auto bad = summarize({container("shop", "minio-init", 1, "exited", "Exited (1) 1 minute ago")}, {}, {"minio-init"});
  EXPECT_FALSE(bad[0].healthy);
}

TEST(Summarize, StartingHealthIsNotYetHealthy) {
  auto out = summarize({container("shop", "db", 1, "running", "Up 2 seconds (health: starting)")}, {}, {});
  EXPECT_EQ(out[0].services[0].containers[0].health, docker::Health::starting);
  EXPECT_FALSE(out[0].healthy);
}

TEST(ParseSince, AcceptsUnixSecondsDurationsAndRfc3339) {
  EXPECT_EQ(parse_since("1700000000", 0), 1700000000);
  EXPECT_EQ(parse_since("10m", 1000), 400);
  EXPECT_EQ(parse_since("2h", 10000), 2800);
  EXPECT_EQ(parse_since("1d", 100000), 13600);
  EXPECT_EQ(parse_since("2026-11-25T10:00:00Z", 0), 1795600800);
}

TEST(ParseSince, RejectsGarbageNamingTheAcceptedForms) {
  try {
    parse_since("yesterday", 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(e.hint().find("RFC 3339"), std::string::npos);
  }
}

}  // namespace
}  // namespace supactl::stack
