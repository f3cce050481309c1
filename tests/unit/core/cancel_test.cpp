// SPDX-License-Identifier: Apache-2.0
// Cancellation: after install_cancel_handler, SIGINT and SIGTERM only set the flag (the
// process lives on to unwind cleanly) and SIGPIPE is ignored. The previous dispositions are
// put back afterwards so the rest of the test binary is unaffected.
#include <supactl/core/cancel.hpp>

#include <gtest/gtest.h>

#include <csignal>

namespace supactl::core {
namespace {

class CancelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int sig : {SIGINT, SIGTERM, SIGPIPE}) sigaction(sig, nullptr, &saved[sig]);
    reset_cancel();
  }
  void TearDown() override {
    for (int sig : {SIGINT, SIGTERM, SIGPIPE}) sigaction(sig, &saved[sig], nullptr);
    reset_cancel();
  }
  struct sigaction saved[NSIG] {};
};

TEST_F(CancelTest, SigintAndSigtermOnlySetTheFlag) {
  install_cancel_handler();
  for (int sig : {SIGINT, SIGTERM}) {
    reset_cancel();
    EXPECT_FALSE(cancel_requested());
    ASSERT_EQ(std::raise(sig), 0);  // the handler runs before raise returns
    EXPECT_TRUE(cancel_requested()) << "signal " << sig;
  }
}

TEST_F(CancelTest, SigpipeIsIgnored) {
  install_cancel_handler();
  struct sigaction now {};
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &now), 0);
  EXPECT_EQ(now.sa_handler, SIG_IGN);
}

TEST_F(CancelTest, TheFlagIsSetAndClearedByHand) {
  EXPECT_FALSE(cancel_requested());
  request_cancel();
  EXPECT_TRUE(cancel_requested());
  reset_cancel();
  EXPECT_FALSE(cancel_requested());
}

}  // namespace
}  // namespace supactl::core
