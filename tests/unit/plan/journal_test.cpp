// SPDX-License-Identifier: Apache-2.0
#include <supactl/core/cancel.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/plan/execute.hpp>
#include <supactl/plan/journal.hpp>

#include <gtest/gtest.h>

#include "support/fake_engine.hpp"
#include "support/temp_dir.hpp"

namespace supactl::plan {
namespace {

Operation op_of(int id, OpType type, const std::string& target, int timeout_s = 0) {
  Operation op;
  op.id = id;
  op.type = type;
  op.target = target;
  op.timeout_s = timeout_s;
  return op;
}

docker::ContainerInfo running(const std::string& name) {
  docker::ContainerInfo c;
  c.name = name;
  c.state.status = "running";
  c.state.running = true;
  return c;
}

TEST(Journal, PendingListsTheWritesStartedAndNotFinished) {
  test::TempDir dir;
  const auto path = dir.path() / ".journal";
  {
    Journal j(path);
    j.started(op_of(1, OpType::create_container, "abc_shop-db-1"));
    j.finished(op_of(1, OpType::create_container, "abc_shop-db-1"));
    j.started(op_of(2, OpType::stop_container, "shop-db-1", 7));
    j.started(op_of(3, OpType::wait_ready, "shop-db-1"));  // a wait is not journaled
    j.started(op_of(4, OpType::remove_container, "shop-web-1"));
    // The process dies here: no close().
  }
  const std::vector<PendingOp> pending = Journal::pending(path);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, 2);
  EXPECT_EQ(pending[0].type, OpType::stop_container);
  EXPECT_EQ(pending[0].target, "shop-db-1");
  EXPECT_EQ(pending[0].timeout_s, 7);
  EXPECT_EQ(pending[1].type, OpType::remove_container);
  EXPECT_EQ(pending[1].target, "shop-web-1");

  // A half-written last line (a kill inside a write) is skipped, not misread.
  core::write_file_atomic(path, core::read_file(path) + "start 9 8 10");
  EXPECT_EQ(Journal::pending(path).size(), 2u);
}

TEST(Journal, ARunThatEndsRemovesItsJournalUnlessACallNeverReturned) {
  test::TempDir dir;
  const auto path = dir.path() / ".journal";
  {
    Journal j(path);
    j.started(op_of(1, OpType::stop_container, "shop-db-1"));
    EXPECT_TRUE(std::filesystem::exists(path));
    j.finished(op_of(1, OpType::stop_container, "shop-db-1"));
    j.close();
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_TRUE(Journal::pending(path).empty());
  }
  Journal j(path);
  j.started(op_of(1, OpType::stop_container, "shop-db-1"));
  j.close();
  EXPECT_EQ(Journal::pending(path).size(), 1u);
}

TEST(Journal, FinishInterruptedStopsAndRemovesWhatWasUnderWayThenForgetsIt) {
  test::TempDir dir;
  const auto path = dir.path() / ".journal";
  test::FakeEngine engine;
  engine.put_container(running("shop-db-1"));
  {
    Journal j(path);
    j.started(op_of(1, OpType::create_container, "abc_shop-db-1"));
    j.started(op_of(2, OpType::stop_container, "shop-db-1", 10));
    j.started(op_of(3, OpType::remove_container, "gone-already"));
  }
  EXPECT_EQ(finish_interrupted(engine, path), 2);
  EXPECT_EQ(engine.calls_of("stop_container"), std::vector<std::string>{"stop_container shop-db-1"});
  EXPECT_EQ(engine.calls_of("remove_container"), std::vector<std::string>{"remove_container gone-already"});
  EXPECT_TRUE(engine.calls_of("create_container").empty()) << "a create is never redone";
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(finish_interrupted(engine, path), 0);
}

TEST(Journal, TheExecutorJournalsEachWriteAndRemovesTheJournalAtTheEnd) {
  test::TempDir dir;
  const auto path = dir.path() / ".journal";
  test::FakeEngine engine;
  engine.put_container(running("shop-db-1"));
  Plan plan;
  plan.add(op_of(0, OpType::stop_container, "shop-db-1"));
  ExecuteOptions options;
  options.journal = path;
  NullProgress progress;
  ASSERT_TRUE(execute(engine, plan, progress, options).ok);
  EXPECT_FALSE(std::filesystem::exists(path));
}

/// An Engine whose container stop ends the way `how` says: cut short by Ctrl-C while the
/// Engine still stops the container, or answered with an Engine error.
class StopEndsEarly : public test::FakeEngine {
 public:
  explicit StopEndsEarly(docker::ErrorKind how) : m_how(how) {}
  void stop_container(const std::string& id, int timeout_s) override {
    if (m_how == docker::ErrorKind::cancelled) core::request_cancel();
    FakeEngine::stop_container(id, timeout_s);
    throw docker::EngineError(m_how, m_how == docker::ErrorKind::server ? 500 : 0, "stop " + id);
  }

 private:
  docker::ErrorKind m_how;
};

/// Runs "stop shop-db-1, then remove it" journaled at `path` on an Engine whose stop ends as
/// `how` says; returns whether the run succeeded.
bool run_stop_then_remove(docker::ErrorKind how, const std::filesystem::path& path) {
  Plan plan;
  plan.add(op_of(0, OpType::stop_container, "shop-db-1", 10));
  Operation remove = op_of(0, OpType::remove_container, "shop-db-1");
  remove.deps = {1};
  plan.add(remove);
  StopEndsEarly engine(how);
  engine.put_container(running("shop-db-1"));
  ExecuteOptions options;
  options.journal = path;
  NullProgress progress;
  const bool ok = execute(engine, plan, progress, options).ok;
  core::reset_cancel();
  return ok;
}

// Ctrl-C inside a stop: the Engine goes on stopping the container after supactl gave up on
// the call, so the journal stays with the stop open, and the next run finishes it.
TEST(Journal, ACallCutShortByCtrlCStaysOpenForTheNextRun) {
  test::TempDir dir;
  const auto path = dir.path() / ".journal";
  EXPECT_FALSE(run_stop_then_remove(docker::ErrorKind::cancelled, path));
  ASSERT_TRUE(std::filesystem::exists(path));
  const std::vector<PendingOp> pending = Journal::pending(path);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].type, OpType::stop_container);
  EXPECT_EQ(pending[0].target, "shop-db-1");
  EXPECT_EQ(pending[0].timeout_s, 10);
}

// An Engine error is an answer: the call is over, nothing is left under way.
TEST(Journal, ACallTheEngineAnsweredWithAnErrorIsFinished) {
  test::TempDir dir;
  const auto path = dir.path() / ".journal";
  EXPECT_FALSE(run_stop_then_remove(docker::ErrorKind::server, path));
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace supactl::plan
