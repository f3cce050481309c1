// SPDX-License-Identifier: Apache-2.0
#include <supactl/compose/model.hpp>
#include <supactl/stack/stack.hpp>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace supactl::stack
