// SPDX-License-Identifier: Apache-2.0

#include "compose/interpolate.hpp"
#include "unit/compose/compose_fixture.hpp"

#include <gtest/gtest.h>

namespace supactl::compose {
namespace {

std::string expand(const std::string& text, const detail::Variables& variables = {}) {
  std::set<std::string> unset;
  return detail::interpolate(text, variables, unset);
}

TEST(ComposeInterpolate, ReplacesPlainAndBracedVariables) {
  detail::Variables v{{"HOST", "db"}, {"PORT", "5432"}};
  EXPECT_EQ(expand("postgres://$HOST:${PORT}/x", v), "postgres://db:5432/x");
  EXPECT_EQ(expand("$HOST-suffix", v), "db-suffix");
}

TEST(ComposeInterpolate, ColonDashDefaultAppliesToUnsetAndEmpty) {
  detail::Variables v{{"EMPTY", ""}};
  EXPECT_EQ(expand("${MISSING:-8000}", v), "8000");
  EXPECT_EQ(expand("${EMPTY:-8000}", v), "8000");
}

TEST(ComposeInterpolate, DashDefaultAppliesOnlyToUnset) {
  detail::Variables v{{"EMPTY", ""}};
  EXPECT_EQ(expand("${MISSING-8000}", v), "8000");
  EXPECT_EQ(expand("${EMPTY-8000}", v), "");
}

TEST(ComposeInterpolate, NestedDefaultsTakeTheFirstSetVariable) {
  EXPECT_EQ(expand("${API_GW_HTTP_PORT:-${KONG_HTTP_PORT:-8000}}"), "8000");
  EXPECT_EQ(expand("${API_GW_HTTP_PORT:-${KONG_HTTP_PORT:-8000}}", {{"KONG_HTTP_PORT", "9000"}}), "9000");
  EXPECT_EQ(expand("${API_GW_HTTP_PORT:-${KONG_HTTP_PORT:-8000}}",
                   {{"KONG_HTTP_PORT", "9000"}, {"API_GW_HTTP_PORT", "7000"}}),
            "7000");
  EXPECT_EQ(expand("${JWT_JWKS:-${JWT_SECRET}}", {{"JWT_SECRET", "s3cret"}}), "s3cret");
}

TEST(ComposeInterpolate, PlusGivesTheAlternativeOnlyWhenSet) {
  detail::Variables v{{"TLS", "1"}, {"EMPTY", ""}};
  EXPECT_EQ(expand("${TLS:+--tls}", v), "--tls");
  EXPECT_EQ(expand("${NOPE:+--tls}", v), "");
  EXPECT_EQ(expand("${EMPTY:+x}", v), "");
  EXPECT_EQ(expand("${EMPTY+x}", v), "x");
}

TEST(ComposeInterpolate, DoubleDollarIsALiteralDollar) {
  EXPECT_EQ(expand("echo $$HOME and $${X}"), "echo $HOME and ${X}");
  EXPECT_EQ(expand("${A:-$$literal}"), "$literal");
}

TEST(ComposeInterpolate, RequiredVariableErrorNamesTheVariableAndMessage) {
  try {
    expand("${JWT_SECRET:?set JWT_SECRET in .env}");
    FAIL() << "expected an error";
  } catch (const detail::InterpolationError& e) {
    EXPECT_STREQ(e.what(), "required variable JWT_SECRET is missing a value: set JWT_SECRET in .env");
  }
  EXPECT_THROW(expand("${EMPTY:?}", {{"EMPTY", ""}}), detail::InterpolationError);
  EXPECT_EQ(expand("${EMPTY?}", {{"EMPTY", ""}}), "");
  EXPECT_THROW(expand("${MISSING?}"), detail::InterpolationError);
}

TEST(ComposeInterpolate, RequiredInsideAnUnusedDefaultDoesNotFail) {
  EXPECT_EQ(expand("${A:-${B:?need B}}", {{"A", "a"}}), "a");
}

TEST(ComposeInterpolate, MalformedTemplatesAreErrors) {
  EXPECT_THROW(expand("${UNCLOSED"), detail::InterpolationError);
  EXPECT_THROW(expand("price $5"), detail::InterpolationError);
  EXPECT_THROW(expand("${1BAD}"), detail::InterpolationError);
  EXPECT_THROW(expand("${A:x}"), detail::InterpolationError);
}

TEST(ComposeInterpolate, UnsetVariablesAreBlankAndRemembered) {
  std::set<std::string> unset;
  EXPECT_EQ(detail::interpolate("a${NOPE}b$ALSO_NOPE", {}, unset), "ab");
  EXPECT_EQ(unset, (std::set<std::string>{"ALSO_NOPE", "NOPE"}));
}

TEST(ComposeInterpolate, LoadInterpolatesBeforeTypingAndWarnsAboutUnsetVariables) {
  test::ComposeFiles files;
  compose::Project p = files.load(R"(
services:
  kong:
    image: kong:${KONG_TAG:-2.8.1}
    ports: ["${KONG_HTTP_PORT:-8000}:8000"]
    environment:
      PASSWORD: $$ecret
      UNSET: ${NOT_THERE}
)",
                                  {}, {{"KONG_HTTP_PORT", "9000"}});
  const Service& kong = p.services.at("kong");
  EXPECT_EQ(kong.spec.image, "kong:2.8.1");
  ASSERT_EQ(kong.spec.ports.size(), 1u);
  EXPECT_EQ(kong.spec.ports[0].host_port, 9000);
  EXPECT_EQ(kong.spec.env, (std::vector<std::string>{"PASSWORD=$ecret", "UNSET="}));
  EXPECT_EQ(p.warnings,
            (std::vector<std::string>{"the \"NOT_THERE\" variable is not set; defaulting to a blank string"}));
}

TEST(ComposeInterpolate, LoadReportsMissingRequiredVariableAtItsLine) {
  test::ComposeFiles files;
  std::string message = files.load_error(
      "services:\n  db:\n    image: postgres\n    environment:\n"
      "      PW: ${POSTGRES_PASSWORD:?is required}\n");
  EXPECT_NE(message.find("compose.yml:5: required variable POSTGRES_PASSWORD is missing a value: is required"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace supactl::compose
