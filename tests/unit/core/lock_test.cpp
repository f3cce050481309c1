// SPDX-License-Identifier: Apache-2.0
// The per-instance lock: exclusive (a second holder is refused with exit code 4 naming the
// first holder's pid), free again once released, waited for up to the timeout, and a wait is
// cut short by Ctrl-C. flock(2) locks belong to an open file, so two FileLocks in this one
// process conflict the way two processes do.
#include <supactl/core/cancel.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/lock.hpp>

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "support/temp_dir.hpp"

namespace supactl::core {
namespace {

using Clock = std::chrono::steady_clock;

TEST(FileLock, ASecondHolderIsRefusedWithConflictNamingTheFirstHoldersPid) {
  test::TempDir dir;
  const auto path = dir.path() / ".lock";
  {
    FileLock first(path, "instance shop", 0);
    EXPECT_EQ(read_file(path), std::to_string(::getpid()) + "\n");
    try {
      FileLock second(path, "instance shop", 0);
      ADD_FAILURE() << "two holders of one lock";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::conflict);
      EXPECT_EQ(std::string(e.what()),
                "instance shop is busy: another supactl (pid " + std::to_string(::getpid()) + ") is working on it");
    }
  }
  // Released with its holder.
  EXPECT_NO_THROW(FileLock again(path, "instance shop", 0));
}

TEST(FileLock, AWaitingHolderGetsTheLockOnceItIsReleased) {
  test::TempDir dir;
  const auto path = dir.path() / ".lock";
  auto first = std::make_unique<FileLock>(path, "instance shop", 0);
  std::atomic<bool> acquired{false};
  std::optional<std::string> error;
  std::thread waiter([&] {
    try {
      FileLock second(path, "instance shop", 30);
      acquired = true;
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  // The waiter is blocked while the lock is held: it polls, so after several of its polls
  // (100 ms each) it still has not got it.
  const auto until = Clock::now() + std::chrono::milliseconds(500);
  while (Clock::now() < until) {
    ASSERT_FALSE(acquired.load());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  first.reset();
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!acquired && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  waiter.join();
  EXPECT_TRUE(acquired) << error.value_or("timed out");
}

TEST(FileLock, CtrlCEndsAWaitForABusyLock) {
  test::TempDir dir;
  const auto path = dir.path() / ".lock";
  FileLock first(path, "instance shop", 0);
  request_cancel();
  const auto start = Clock::now();
  try {
    FileLock second(path, "instance shop", 60);
    ADD_FAILURE() << "two holders of one lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::conflict);
  }
  reset_cancel();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace supactl::core
