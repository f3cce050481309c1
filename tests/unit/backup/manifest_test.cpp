// SPDX-License-Identifier: Apache-2.0
// manifest.json as supactl writes it, typed: every field survives the round trip, the JSON has
// the documented keys, and a manifest missing what restore needs is refused.
#include <supactl/backup/backup.hpp>
#include <supactl/core/error.hpp>

#include <gtest/gtest.h>

namespace supactl::backup {
namespace {

Manifest full() {
  Manifest m;
  m.supactl_version = "0.9.0";
  m.instance = "shop";
  m.release = "v0.8.1";
  m.created_at = "2026-11-29T10:00:00Z";
  m.include_secrets = true;
  m.row_counts = {{"auth.users", 2}, {"public.todos", 500}};
  m.databases = {{"postgres", "db/00-postgres.dump"}, {"shop_app", "db/01-shop_app.dump"}};
  m.storage = Manifest::Storage{"minio", "/data", "storage/minio.tar", 7};
  m.images = {{"db", {"supabase/postgres:17.6.1.136", "sha256:aa"}}, {"kong", {"kong/kong:3.9.3", "sha256:bb"}}};
  m.members = {{"db/roles.sql", 10, "ab"}, {"db/00-postgres.dump", 20, "cd"}};
  return m;
}

TEST(Manifest, JsonHasTheDocumentedKeys) {
  const nlohmann::json j = full().to_json();
  EXPECT_EQ(j.at("format"), "supactl-backup/1");
  EXPECT_EQ(j.at("databases"), nlohmann::json::parse(R"([{"name":"postgres","member":"db/00-postgres.dump"},
                                                         {"name":"shop_app","member":"db/01-shop_app.dump"}])"));
  EXPECT_EQ(j.at("storage"),
            nlohmann::json::parse(R"({"service":"minio","path":"/data","member":"storage/minio.tar","files":7})"));
  EXPECT_EQ(j.at("row_counts"), nlohmann::json::parse(R"({"auth.users":2,"public.todos":500})"));
  EXPECT_EQ(j.at("images").at("kong"), nlohmann::json::parse(R"({"image":"kong/kong:3.9.3","image_id":"sha256:bb"})"));
  EXPECT_EQ(j.at("members").at(1), nlohmann::json::parse(R"({"path":"db/00-postgres.dump","size":20,"sha256":"cd"})"));
  EXPECT_EQ(j.at("roles_member"), "db/roles.sql");
  EXPECT_FALSE(Manifest().to_json().contains("storage")) << "no storage key without storage";
}

TEST(Manifest, EveryFieldSurvivesTheRoundTrip) {
  const Manifest m = Manifest::from_json(full().to_json());
  EXPECT_EQ(m.to_json(), full().to_json());
  ASSERT_TRUE(m.storage);
  EXPECT_EQ(m.storage->files, 7);
  EXPECT_EQ(m.images.at("db").image_id, "sha256:aa");
  EXPECT_EQ(m.databases.at(1).member, "db/01-shop_app.dump");
  EXPECT_TRUE(m.has_member("db/roles.sql"));
  EXPECT_FALSE(m.has_member("db/roles"));
}

TEST(Manifest, MissingWhatRestoreNeedsIsAUsageError) {
  for (const char* key : {"format", "databases", "members"}) {
    nlohmann::json j = full().to_json();
    j.erase(key);
    try {
      Manifest::from_json(j);
      ADD_FAILURE() << "accepted a manifest without " << key;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage) << key;
    }
  }
  nlohmann::json bad = full().to_json();
  bad["storage"]["member"] = 3;
  EXPECT_THROW(Manifest::from_json(bad), Error);
}

}  // namespace
}  // namespace supactl::backup
