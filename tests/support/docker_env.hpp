// SPDX-License-Identifier: Apache-2.0
#pragma once

// Shared setup for tests against the real Docker Engine: one connection, a tiny offline
// test image (busybox from Debian's busybox-static, imported once), unique object names and
// the CI rule — with CI=true a missing Engine fails the test; elsewhere it skips.

#include <supactl/docker/engine.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace supactl::test {

/// The image every Engine test runs: a busybox rootfs imported with `docker import`.
inline constexpr const char* k_test_image = "supactl-test/busybox:1";
/// Label put on every object the tests create, so a crashed run can be found by hand
/// (`docker ps -a --filter label=dev.supactl.test`).
inline constexpr const char* k_test_label = "dev.supactl.test";
/// Label whose value is this test process's run_id(): cleanup removes only these (and the
/// compose projects named after the run id), never another run's objects.
inline constexpr const char* k_run_label = "dev.supactl.test-run";

/// A random id of 6 lower-case letters and digits (the first a letter), made once per test
/// process; every name and label the tests give Docker objects contains it.
const std::string& run_id();

/// The labels of an object a test creates itself: k_test_label=1 and k_run_label=run_id().
docker::Labels test_labels();

/// The Engine, or nullptr when none answers (the reason goes to `why`).
docker::Engine* shared_engine(std::string* why = nullptr);

/// Makes sure k_test_image exists locally (imports it when missing). Throws on failure.
void ensure_test_image();

/// A name unique to this test run: "supactl-it-<run id>-<suffix>".
std::string unique_name(const std::string& suffix);

/// An instance name unique to this test run: `prefix` then the run id ("it" -> "itk3x9q2").
std::string instance_name(const std::string& prefix);

/// Runs a shell command; returns its exit status and fills `out` with stdout+stderr.
int run_shell(const std::string& command, std::string* out = nullptr);

/// Runs a shell command; returns its `$?` as the shell sees it, so a command a signal ended
/// gives 128 + the signal's number (137 for SIGKILL). `out` gets stdout+stderr.
int run_shell_reporting(const std::string& command, std::string* out);

/// Runs a shell command with stdout and stderr kept apart; returns its exit status.
int run_command(const std::string& command, std::string* out, std::string* err);

/// Runs `command` every 200 ms until it exits 0 or `limit` passes; returns whether it did.
/// `last` gets its last output, trailing line breaks removed.
bool eventually(const std::string& command, std::chrono::seconds limit, std::string* last = nullptr);

/// The offline image kit's registry (tests/images/kit up).
inline constexpr const char* k_kit_registry = "127.0.0.1:5000";

/// Runs `command` with sh; returns its output without the trailing newlines and spaces, and
/// its exit status in `*status` when given.
inline std::string shell_output(const std::string& command, int* status = nullptr) {
  std::string out;
  const int rc = run_shell(command, &out);
  if (status != nullptr) *status = rc;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
  return out;
}

/// Whether the kit's registry answers.
bool kit_registry_answers();

/// Removes the containers, networks and volumes of this run only (best effort): those
/// labelled k_run_label=run_id(), those whose k_test_label value starts with
/// unique_name("") (the image kit tests label theirs so), and those whose compose project
/// starts with `project_prefix` — which must contain run_id(), else it is ignored.
void remove_test_objects(const std::string& project_prefix);

}  // namespace supactl::test

/// In a test body or SetUp: the Engine, or skip (fail when CI=true).
#define SUPACTL_REQUIRE_ENGINE(var)                                               \
  std::string supactl_why_;                                                       \
  ::supactl::docker::Engine* var = ::supactl::test::shared_engine(&supactl_why_); \
  if (var == nullptr) {                                                           \
    const char* ci_ = std::getenv("CI");                                          \
    if (ci_ != nullptr && std::string(ci_) == "true") {                           \
      FAIL() << "no Docker Engine in CI: " << supactl_why_;                       \
    }                                                                             \
    GTEST_SKIP() << "no Docker Engine: " << supactl_why_;                         \
  }

/// In SetUp, after SUPACTL_REQUIRE_ENGINE: skip without the image kit (fail when CI=true).
#define SUPACTL_REQUIRE_KIT()                                                                              \
  if (!::supactl::test::kit_registry_answers()) {                                                          \
    const char* ci_ = std::getenv("CI");                                                                   \
    if (ci_ != nullptr && std::string(ci_) == "true") {                                                    \
      FAIL() << "the image kit's registry does not answer on " << ::supactl::test::k_kit_registry          \
             << "; run tests/images/kit up";                                                               \
    }                                                                                                      \
    GTEST_SKIP() << "no image kit on " << ::supactl::test::k_kit_registry << " (run tests/images/kit up)"; \
  }
