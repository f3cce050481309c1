// SPDX-License-Identifier: Apache-2.0
// Values written to env files (secrets.env, rendered/.env): a value that cannot be single-quoted
// (it holds a ' or a control character) is double-quoted with \, ", $ and line breaks escaped,
// so that no reader interpolates or splits it. Expected texts are written out by hand.
#include <supactl/core/env_value.hpp>

#include <gtest/gtest.h>

namespace supactl::core {
namespace {

TEST(EnvQuote, DoubleQuotedValuesEscapeDollarQuoteBackslashAndLineBreaks) {
  EXPECT_EQ(env_quote("plain-value_1.2"), "plain-value_1.2");
  EXPECT_EQ(env_quote("a $b"), "'a $b'");
  EXPECT_EQ(env_quote("it's $HOME"), R"("it's \$HOME")");
  EXPECT_EQ(env_quote("x'\"\\\n"), R"("x'\"\\\n")");
  for (const std::string v : {"it's $HOME", "x'\"\\\n$", "tab\there's ${X}"}) {
    EXPECT_EQ(env_unquote(env_quote(v)), v) << v;
  }
}

}  // namespace
}  // namespace supactl::core
