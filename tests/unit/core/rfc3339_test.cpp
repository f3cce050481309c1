// SPDX-License-Identifier: Apache-2.0
// The test support's RFC 3339 parser, which the Docker tests use to compare the Engine's
// container times (nanosecond fractions, Z or an offset) as times.
#include <gtest/gtest.h>

#include "support/rfc3339.hpp"

namespace supactl::test {
namespace {

TEST(Rfc3339, ParsesDockersTimesWithNanosecondsAndOffsets) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), std::chrono::nanoseconds(0));
  EXPECT_EQ(parse_rfc3339("2026-11-29T22:50:06.123456789Z"), std::chrono::nanoseconds(1'795'992'606'123'456'789));
  // A shorter fraction is a fraction, not a count of nanoseconds: .5 s, not 5 ns.
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:01.5Z"), std::chrono::nanoseconds(1'500'000'000));
  EXPECT_EQ(parse_rfc3339("1970-01-01T01:00:00+01:00"), std::chrono::nanoseconds(0));
  // Docker trims trailing zeros of the fraction, so as text "06.9Z" sorts after "06.95Z" and
  // "06Z" after "06.000000001Z"; as times both are earlier.
  EXPECT_LT(parse_rfc3339("2026-11-29T22:50:06.9Z"), parse_rfc3339("2026-11-29T22:50:06.95Z"));
  EXPECT_LT(parse_rfc3339("2026-11-29T22:50:06Z"), parse_rfc3339("2026-11-29T22:50:06.000000001Z"));
  EXPECT_EQ(parse_rfc3339("0001-01-01T00:00:00Z").has_value(), true);
  EXPECT_FALSE(parse_rfc3339("yesterday").has_value());
  EXPECT_FALSE(parse_rfc3339("2026-11-29T22:50:06.Z").has_value());
}

}  // namespace
}  // namespace supactl::test
