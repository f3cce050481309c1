// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace supactl::core {

/// Installs SIGINT/SIGTERM handlers that only set a flag; long operations (streams, waits,
/// the executor) poll `cancel_requested()` and unwind cleanly.
void install_cancel_handler();

/// True once Ctrl-C (or SIGTERM) was received.
bool cancel_requested() noexcept;

/// Sets the flag by hand (tests, and the executor when one branch failed).
void request_cancel() noexcept;

/// Clears the flag (tests).
void reset_cancel() noexcept;

}  // namespace supactl::core
