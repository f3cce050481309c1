// SPDX-License-Identifier: Apache-2.0
#include <supactl/compose/model.hpp>
#include <supactl/stack/stack.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "support/fake_engine.hpp"
#include "unit/plan/plan_fixture.hpp"

namespace supactl::stack {
namespace {

/// Says every port in `taken` is in use on the host.
class TakenPorts : public ports::PortProbe {
 public:
  explicit TakenPorts(std::set<int> taken) : m_taken(std::move(taken)) {}
  bool is_free(int port) const override { return m_taken.count(port) == 0; }
  std::string owner(int) const override { return "a process"; }

 private:
  std::set<int> m_taken;
};

docker::ContainerInfo running(const std::string& name, const std::string& project) {
  docker::ContainerInfo c;
  c.id = "id-" + name;
  c.name = name;
  c.state.status = "running";
  c.state.running = true;
  c.labels[compose::k_label_project] = project;
  return c;
}

// A start sent by a killed run can land after the next run observed the container as created
// (no published ports yet): the port is then held by the project's own container, which is
// not a clash. Another project's container holding it is.
TEST(TakenHostPorts, APortHeldByTheProjectsOwnContainerIsNotTakenOneHeldByAnotherIs) {
  compose::Project project = test::make_project();
  project.services["kong"].spec.ports = {
      docker::PortBinding{.container_port = 8000, .host_ip = "127.0.0.1", .host_port = 18000}};
  const TakenPorts probe({18000});
  test::FakeEngine engine;
  engine.put_container(running("shop-kong-1", "shop"));
  EXPECT_TRUE(taken_host_ports(engine, project, plan::ObservedState{}, probe).empty());

  test::FakeEngine other;
  other.put_container(running("blog-kong-1", "blog"));
  const std::vector<std::string> taken = taken_host_ports(other, project, plan::ObservedState{}, probe);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0], "18000 (container blog-kong-1)");
}

/// Says the port is in use for its first `busy_calls` looks, and calls `on_look` at each.
class BusyForAMoment : public ports::PortProbe {
 public:
  BusyForAMoment(int busy_calls, std::function<void(int)> on_look)
      : m_busy_calls(busy_calls), m_on_look(std::move(on_look)) {}
  bool is_free(int) const override {
    if (m_on_look) m_on_look(m_looks);
    return ++m_looks > m_busy_calls;
  }
  std::string owner(int) const override { return "process docker-proxy"; }
  mutable int m_looks = 0;

 private:
  int m_busy_calls;
  std::function<void(int)> m_on_look;
};

// The Engine binds a published port before the container it starts counts as running (a start
// a killed run had sent, still under way when the next run looks), and frees it a moment after
// a container stops: neither is a clash. A port held for good by no container is.
TEST(TakenHostPorts, APortHeldByNoContainerIsLookedAtAgainBeforeItCountsAsTaken) {
  compose::Project project = test::make_project();
  project.services["kong"].spec.ports = {
      docker::PortBinding{.container_port = 8000, .host_ip = "127.0.0.1", .host_port = 18000}};
  test::FakeEngine engine;
  // Freed after two looks (docker-proxy of a stopped container exiting).
  const BusyForAMoment freed(2, nullptr);
  EXPECT_TRUE(taken_host_ports(engine, project, plan::ObservedState{}, freed).empty());
  EXPECT_EQ(freed.m_looks, 3);
  // Our own container's start lands at the third look.
  const BusyForAMoment starting(1000, [&engine](int look) {
    if (look == 2) engine.put_container(running("shop-kong-1", "shop"));
  });
  EXPECT_TRUE(taken_host_ports(engine, project, plan::ObservedState{}, starting).empty());
  EXPECT_EQ(starting.m_looks, 3);
  // Held for good by a process: taken, after the looks.
  test::FakeEngine none;
  const BusyForAMoment held(1000, nullptr);
  const std::vector<std::string> taken = taken_host_ports(none, project, plan::ObservedState{}, held);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0], "18000 (process docker-proxy)");
  EXPECT_EQ(held.m_looks, 20);
}

}  // namespace
}  // namespace supactl::stack
