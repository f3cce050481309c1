// SPDX-License-Identifier: Apache-2.0
// The config hash decides whether a container is recreated: it must not move when only the
// order of meaningless lists changes, and it must move when a mounted config file's content
// changes (the bind source path stays the same, so only its digest tells).
#include <supactl/compose/model.hpp>

#include <gtest/gtest.h>

#include "unit/plan/plan_fixture.hpp"

namespace supactl::compose {
namespace {

docker::Mount config_mount(const std::string& digest) {
  docker::Mount m;
  m.type = docker::Mount::Type::bind;
  m.source = "/srv/shop/rendered/volumes/api/kong.yml";
  m.target = "/home/kong/kong.yml";
  m.read_only = true;
  m.content_digest = digest;
  return m;
}

TEST(ConfigHash, TheOrderOfEnvironmentEntriesDoesNotMatter) {
  Service a = test::make_service("rest", "postgrest/postgrest:v14.17");
  Service b = a;
  a.spec.env = {"PGRST_DB_SCHEMAS=public", "PGRST_DB_ANON_ROLE=anon", "PGRST_JWT_SECRET=x"};
  b.spec.env = {"PGRST_JWT_SECRET=x", "PGRST_DB_SCHEMAS=public", "PGRST_DB_ANON_ROLE=anon"};
  EXPECT_EQ(config_hash(a), config_hash(b));
  b.spec.env.back() = "PGRST_DB_ANON_ROLE=authenticated";
  EXPECT_NE(config_hash(a), config_hash(b));
}

TEST(ConfigHash, AMountedFilesContentIsPartOfTheHash) {
  Service a = test::make_service("kong", "kong/kong:3.9.3");
  Service b = a;
  a.spec.mounts = {config_mount("sha256:1111")};
  b.spec.mounts = {config_mount("sha256:2222")};
  EXPECT_NE(config_hash(a), config_hash(b));
  b.spec.mounts = {config_mount("sha256:1111")};
  EXPECT_EQ(config_hash(a), config_hash(b));
  EXPECT_EQ(config_hash(a).size(), 64u);
}

}  // namespace
}  // namespace supactl::compose
