// SPDX-License-Identifier: Apache-2.0
//
// Cancellation: a signal handler may only touch a lock-free atomic, so Ctrl-C sets a flag and
// every long-running loop (HTTP streams, health waits, the plan executor) polls it.
#include <supactl/core/cancel.hpp>

#include <atomic>
#include <csignal>

namespace supactl::core {
namespace {
std::atomic<bool> g_cancelled{false};

extern "C" void on_signal(int /*sig*/) { g_cancelled.store(true); }
}  // namespace

void install_cancel_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool cancel_requested() noexcept { return g_cancelled.load(); }
void request_cancel() noexcept { g_cancelled.store(true); }
void reset_cancel() noexcept { g_cancelled.store(false); }

}  // namespace supactl::core
