// SPDX-License-Identifier: Apache-2.0

#include <supactl/compose/model.hpp>
#include <supactl/core/error.hpp>

#include <gtest/gtest.h>

namespace supactl::compose {
namespace {

using Vars = std::map<std::string, std::string>;

TEST(ComposeEnvFile, ReadsKeyValueLinesCommentsAndBlankLines) {
  EXPECT_EQ(parse_env_file("# a comment\n\nPOSTGRES_PASSWORD=secret\n  KONG_HTTP_PORT = 8000  \nEMPTY=\n"),
            (Vars{{"EMPTY", ""}, {"KONG_HTTP_PORT", "8000"}, {"POSTGRES_PASSWORD", "secret"}}));
}

TEST(ComposeEnvFile, AcceptsExportPrefix) {
  EXPECT_EQ(parse_env_file("export JWT_SECRET=abc\n"), (Vars{{"JWT_SECRET", "abc"}}));
}

TEST(ComposeEnvFile, SingleQuotesAreLiteral) {
  EXPECT_EQ(parse_env_file("A='x # not a comment \\n $HOME'\n"), (Vars{{"A", "x # not a comment \\n $HOME"}}));
}

TEST(ComposeEnvFile, DoubleQuotesSupportEscapesAndSpanLines) {
  EXPECT_EQ(parse_env_file("A=\"line1\\nline2 \\\"q\\\"\"\nB=\"multi\nline\"\nC=c\n"),
            (Vars{{"A", "line1\nline2 \"q\""}, {"B", "multi\nline"}, {"C", "c"}}));
}

TEST(ComposeEnvFile, InlineCommentsEndUnquotedValuesOnlyAfterWhitespace) {
  EXPECT_EQ(parse_env_file("A=value # comment\nB=pass#word\nC=\"q\" # after quote\n"),
            (Vars{{"A", "value"}, {"B", "pass#word"}, {"C", "q"}}));
}

TEST(ComposeEnvFile, ValuesMayContainEqualsSigns) {
  EXPECT_EQ(parse_env_file("URL=postgres://u:p@db/x?sslmode=disable\r\n"),
            (Vars{{"URL", "postgres://u:p@db/x?sslmode=disable"}}));
}

TEST(ComposeEnvFile, UnterminatedQuoteIsAnError) { EXPECT_THROW(parse_env_file("A=\"never closed\n"), Error); }

}  // namespace
}  // namespace supactl::compose
