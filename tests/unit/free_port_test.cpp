// SPDX-License-Identifier: Apache-2.0
// The test support's free_port: ports handed out in one process are all different, and each
// stays held against other processes (flock(1) cannot take its lock) while nothing listens.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <cstdlib>
#include <set>
#include <string>

#include "support/free_port.hpp"

namespace supactl::test {
namespace {

TEST(FreePort, CallsNeverRepeatAPortAndOtherProcessesCannotTakeOne) {
  std::set<int> seen;
  for (int i = 0; i < 20; ++i) {
    const int port = free_port();
    EXPECT_GE(port, k_free_port_first);
    EXPECT_LE(port, k_free_port_last);
    EXPECT_TRUE(seen.insert(port).second) << "port " << port << " handed out twice";
    EXPECT_TRUE(port_is_unbound(port)) << port;
    // Another process (flock(1), non-blocking) finds the port's lock taken: exit status 1.
    const std::string cmd = "flock -n " + std::string(k_free_port_locks) + "/" + std::to_string(port) + ".lock true";
    const int status = std::system(cmd.c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << cmd << " got the lock";
  }
}

}  // namespace
}  // namespace supactl::test
