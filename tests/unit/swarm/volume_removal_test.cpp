// SPDX-License-Identifier: Apache-2.0
// `down --volumes` on a swarm: the global job that deletes the instance's volumes on every
// node. Its script runs here under the real /bin/sh against a fake curl that plays one node's
// Engine (a volume busy for a moment, one it refuses, one gone meanwhile), and its spec is
// checked field by field.
#include <supactl/swarm/swarm.hpp>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace supactl::swarm {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(VolumeRemoval, TheScriptDeletesEachVolumeOfTheStackRetriesABusyOneAndReportsOneItKept) {
  test::TempDir dir;
  const std::filesystem::path bin = dir.path() / "bin";
  std::filesystem::create_directories(bin);
  // The fake curl: logs its arguments; answers GET /volumes?... with three volumes and each
  // DELETE by name, writing the body to the -o file and the status to stdout (-w).
  {
    std::ofstream curl(bin / "curl");
    curl << "#!/bin/sh\n"
            "echo \"$*\" >> \"$FAKE_DIR/calls\"\n"
            "out=/dev/null; method=GET; url=\n"
            "while [ $# -gt 0 ]; do case \"$1\" in -o) out=$2; shift ;; -X) method=$2; shift ;;"
            " -w|--unix-socket) shift ;; http*) url=$1 ;; esac; shift; done\n"
            "case \"$method $url\" in\n"
            "  'GET http://localhost/containers/json?'*) printf '%s' '[{\"Id\":\"0a1b\",\"Names\":[\"/x\"]}]' ;;\n"
            "  'DELETE http://localhost/containers/0a1b?v=1&force=1') ;;\n"
            "  'GET http://localhost/volumes?'*) printf '%s' '{\"Volumes\":[{\"Name\":\"shop_db-data\",\"Labels\":"
            "{\"com.docker.stack.namespace\":\"shop\"}},{\"Name\":\"shop_minio-data\"},{\"Name\":\"shop_gone\"}],"
            "\"Warnings\":null}' ;;\n"
            "  'DELETE http://localhost/volumes/shop_db-data')\n"
            "    if [ ! -e \"$FAKE_DIR/was-busy\" ]; then : > \"$FAKE_DIR/was-busy\"; printf 409; else printf 204; fi "
            ";;\n"
            "  'DELETE http://localhost/volumes/shop_minio-data')\n"
            "    printf '%s' '{\"message\":\"volume is in use by a container of another stack\"}' > \"$out\";"
            " printf 500 ;;\n"
            "  'DELETE http://localhost/volumes/shop_gone') printf 404 ;;\n"
            "  *) exit 7 ;;\n"
            "esac\n";
  }
  std::filesystem::permissions(bin / "curl", std::filesystem::perms::owner_all);
  {
    std::ofstream script(dir.path() / "job.sh");
    script << volume_removal_script("shop");
  }
  const std::string cmd = "cd '" + dir.path().string() + "' && FAKE_DIR='" + dir.path().string() + "' PATH='" +
                          bin.string() + ":/usr/bin:/bin' /bin/sh job.sh > out 2>&1";
  const int rc = std::system(cmd.c_str());
  const std::string out = slurp(dir.path() / "out");
  const std::string calls = slurp(dir.path() / "calls");
  EXPECT_NE(rc, 0) << out;  // one volume was kept
  EXPECT_NE(out.find("removed shop_db-data\n"), std::string::npos) << out;
  EXPECT_NE(out.find("kept shop_minio-data: 500 {\"message\":\"volume is in use"), std::string::npos) << out;
  EXPECT_EQ(out.find("shop_gone"), std::string::npos) << out;  // gone meanwhile: neither
  // Only this stack's volumes were asked for (label com.docker.stack.namespace=shop), over the
  // node's own socket; the busy one was asked twice.
  EXPECT_NE(calls.find("--unix-socket /var/run/docker.sock http://localhost/volumes?filters=%7B%22label%22%3A%5B%22"
                       "com.docker.stack.namespace%3Dshop%22%5D%7D"),
            std::string::npos)
      << calls;
  // The stack's exited containers went first, with their anonymous volumes.
  EXPECT_NE(calls.find("http://localhost/containers/json?all=1&filters=%7B%22label%22%3A%5B%22com.docker.stack."
                       "namespace%3Dshop%22%5D%2C%22status%22%3A%5B%22exited%22%2C%22dead%22%5D%7D"),
            std::string::npos)
      << calls;
  EXPECT_LT(calls.find("-X DELETE http://localhost/containers/0a1b?v=1&force=1"), calls.find("volumes?filters"))
      << calls;
  size_t deletes = 0;
  for (size_t at = calls.find("volumes/shop_db-data"); at != std::string::npos;
       at = calls.find("volumes/shop_db-data", at + 1)) {
    ++deletes;
  }
  EXPECT_EQ(deletes, 2U) << calls;
}

TEST(VolumeRemoval, TheJobRunsOnceOnEveryNodeWithThatNodesEngineSocketAndTheStackLabel) {
  const nlohmann::json job = volume_removal_job("shop", "registry:5000/supabase/postgres:17");
  EXPECT_EQ(job["Name"], "shop_supactl-volume-removal");
  EXPECT_TRUE(job["Mode"].contains("GlobalJob")) << job;
  EXPECT_EQ(job["Labels"][k_label_namespace], "shop");
  const nlohmann::json& c = job["TaskTemplate"]["ContainerSpec"];
  EXPECT_EQ(c["Image"], "registry:5000/supabase/postgres:17");
  EXPECT_EQ(c["Command"][0], "sh");
  EXPECT_EQ(c["Command"][2], volume_removal_script("shop"));
  EXPECT_EQ(c["User"], "0");
  ASSERT_EQ(c["Mounts"].size(), 2U);
  EXPECT_EQ(c["Mounts"][1]["Type"], "tmpfs");  // over the db image's VOLUME: no anonymous volume
  EXPECT_EQ(c["Mounts"][0]["Type"], "bind");
  EXPECT_EQ(c["Mounts"][0]["Source"], "/var/run/docker.sock");
  EXPECT_EQ(c["Mounts"][0]["Target"], "/var/run/docker.sock");
  EXPECT_EQ(job["TaskTemplate"]["RestartPolicy"]["Condition"], "none");
}

}  // namespace
}  // namespace supactl::swarm
