// SPDX-License-Identifier: Apache-2.0
// Off-site backups without an Engine: the s3:// target and the credentials file (their forms
// and refusals), the S3 XML pieces, and a round trip against a real S3 API on loopback
// (s3rver, behind a proxy that checks every AWS Signature V4 as S3 does, since s3rver does
// not): a single PUT and a multipart upload, listed, downloaded byte for byte, removed, with
// rclone (a real S3 client) reading what supactl wrote and writing what supactl reads.
#include <supactl/backup/backup.hpp>
#include <supactl/backup/s3.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/sha256.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "support/s3_server.hpp"
#include "support/temp_dir.hpp"

namespace supactl::backup {
namespace {

namespace fs = std::filesystem;

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0' && std::string(ci) != "false";
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(S3Target, ParsesBucketAndPrefixAndRefusesWhatIsNotAnS3Address) {
  const S3Location a = S3Location::parse("s3://my-backups/prod/shop/");
  EXPECT_EQ(a.bucket, "my-backups");
  EXPECT_EQ(a.prefix, "prod/shop");
  EXPECT_EQ(a.key("shop-20261130T120000Z.tar.gz"), "prod/shop/shop-20261130T120000Z.tar.gz");
  EXPECT_EQ(a.url(), "s3://my-backups/prod/shop");
  const S3Location b = S3Location::parse("s3://bucket");
  EXPECT_EQ(b.prefix, "");
  EXPECT_EQ(b.key("f"), "f");
  EXPECT_EQ(b.url_of("f"), "s3://bucket/f");

  EXPECT_NE(error_of([] { S3Location::parse("https://bucket/x"); }).find("not an s3:// address"), std::string::npos);
  EXPECT_NE(error_of([] { S3Location::parse("s3://Bad_Bucket/x"); }).find("not an S3 bucket name"), std::string::npos);
  EXPECT_NE(error_of([] { S3Location::parse("s3://bucket/a b"); }).find("characters"), std::string::npos);
  EXPECT_NE(error_of([] { S3Location::parse("s3://bucket/a//b"); }), "");

  const auto object = parse_s3_object("s3://bucket/prod/shop-20261130T120000Z.tar.gz.enc");
  ASSERT_TRUE(object);
  EXPECT_EQ(object->first.url(), "s3://bucket/prod");
  EXPECT_EQ(object->second, "shop-20261130T120000Z.tar.gz.enc");
  EXPECT_FALSE(parse_s3_object("/var/backups/shop.tar.gz"));
  EXPECT_NE(error_of([] { parse_s3_object("s3://bucket/"); }).find("names no object"), std::string::npos);
  EXPECT_NE(error_of([] { parse_s3_object("s3://bucket"); }).find("names no object"), std::string::npos);
}

TEST(S3Credentials, ReadsOurKeysAndTheAwsNamesAndNamesWhatIsMissing) {
  const S3Settings s = S3Settings::parse(
      "# off-site\nendpoint = http://127.0.0.1:9000/\nregion=eu-west-1\naccess_key_id=AK\nsecret_access_key=\"s e\"\n",
      "creds");
  EXPECT_EQ(s.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(s.region, "eu-west-1");
  EXPECT_EQ(s.access_key_id, "AK");
  EXPECT_EQ(s.secret_access_key, "s e");

  const S3Settings aws =
      S3Settings::parse("AWS_ACCESS_KEY_ID=AK\nAWS_SECRET_ACCESS_KEY=SK\nAWS_REGION=eu-central-1\n", "creds");
  EXPECT_EQ(aws.endpoint, "https://s3.eu-central-1.amazonaws.com");

  EXPECT_EQ(error_of([] { S3Settings::parse("endpoint=http://h\naccess_key_id=AK\n", "creds"); }),
            "creds: `secret_access_key` is missing");
  EXPECT_EQ(error_of([] { S3Settings::parse("endpoint=http://h\nsecret=1\n", "creds"); }),
            "creds:2: unknown key `secret`");
  EXPECT_NE(error_of([] {
              S3Settings::parse("endpoint=http://h/bucket\naccess_key_id=A\nsecret_access_key=S\n", "creds");
            }).find("has a path"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              S3Settings::parse("endpoint=h:9000\naccess_key_id=A\nsecret_access_key=S\n", "c");
            }).find("not an http(s) URL"),
            std::string::npos);
}

TEST(S3Credentials, AFileOthersCanReadIsRefusedNamingChmod) {
  test::TempDir dir;
  const fs::path file = dir.path() / "s3.env";
  std::ofstream(file) << "endpoint=http://127.0.0.1:1\naccess_key_id=A\nsecret_access_key=S\n";
  ::chmod(file.c_str(), 0640);  // the group alone is enough to refuse it
  try {
    S3Settings::from_file(file);
    FAIL() << "a 0640 credentials file was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(std::string(e.what()).find("can be read by others"), std::string::npos);
    EXPECT_NE(e.hint().find("chmod 600"), std::string::npos);
  }
  ::chmod(file.c_str(), 0600);
  EXPECT_EQ(S3Settings::from_file(file).access_key_id, "A");
}

TEST(S3Xml, ListPagesAndEntitiesAndTheCompletionBody) {
  const std::string page =
      "<?xml version=\"1.0\"?><ListBucketResult><IsTruncated>true</IsTruncated>"
      "<Contents><Key>p/a&amp;b.tar.gz</Key><LastModified>2026-11-30T10:00:00.000Z</LastModified>"
      "<Size>12</Size></Contents><Contents><Key>p/c&#x41;.tar.gz</Key><Size>7</Size></Contents>"
      "<NextContinuationToken>tok/en=</NextContinuationToken></ListBucketResult>";
  const ListPage p = parse_list_page(page);
  ASSERT_EQ(p.objects.size(), 2U);
  EXPECT_EQ(p.objects[0].key, "p/a&b.tar.gz");
  EXPECT_EQ(p.objects[0].size, 12);
  EXPECT_EQ(p.objects[0].last_modified, "2026-11-30T10:00:00.000Z");
  EXPECT_EQ(p.objects[1].key, "p/cA.tar.gz");
  ASSERT_TRUE(p.next_token);
  EXPECT_EQ(*p.next_token, "tok/en=");
  EXPECT_FALSE(parse_list_page("<IsTruncated>false</IsTruncated>").next_token);

  EXPECT_EQ(complete_multipart_xml({"\"e1\"", "\"e2\""}),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part></CompleteMultipartUpload>");
  EXPECT_EQ(s3_uri_encode("a b/c+d~e", true), "a%20b/c%2Bd~e");
  EXPECT_EQ(s3_uri_encode("a b/c", false), "a%20b%2Fc");
}

class S3RoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    m_server = std::make_unique<test::S3Server>(m_dir.path() / "store", "backups");
    if (!m_server->ok()) {
      if (in_ci()) FAIL() << m_server->why();
      GTEST_SKIP() << m_server->why();
    }
    if (std::system("command -v rclone >/dev/null 2>&1") != 0) {
      if (in_ci()) FAIL() << "rclone is not installed (scripts/setup installs it)";
      GTEST_SKIP() << "rclone is not installed";
    }
    // supactl talks to s3rver through a proxy that checks every signature as S3 does (s3rver
    // itself checks only that the access key is its own, S3RVER).
    m_proxy = std::make_unique<test::SigV4Proxy>(m_server->port(), "S3RVER", "the-secret/key+1");
    if (!m_proxy->ok()) FAIL() << m_proxy->why();
    S3Settings s;
    s.endpoint = m_proxy->endpoint();
    s.access_key_id = "S3RVER";
    s.secret_access_key = "the-secret/key+1";
    m_settings = s;
  }

  fs::path random_file(const std::string& name, size_t size) {
    const fs::path p = m_dir.path() / name;
    std::mt19937_64 rng(size);
    std::string data(size, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    std::ofstream(p, std::ios::binary) << data;
    return p;
  }
  std::string shell(const std::string& cmd) {
    std::string out;
    FILE* f = ::popen(cmd.c_str(), "r");
    if (f == nullptr) return out;
    char buf[4096];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    m_last_status = ::pclose(f);
    return out;
  }

  test::TempDir m_dir;
  std::unique_ptr<test::S3Server> m_server;
  std::unique_ptr<test::SigV4Proxy> m_proxy;
  S3Settings m_settings;
  int m_last_status = 0;
};

TEST_F(S3RoundTrip, AMultipartUploadIsWhatRcloneReadsAndWhatSupactlDownloads) {
  // 12 MiB in parts of 5 MiB: three parts, the last one short.
  S3Client client(m_settings, S3Client::k_min_part_size);
  const fs::path big = random_file("shop-20261130T120000Z.tar.gz", (size_t{12} << 20) + 123);
  const std::string want = core::sha256_hex(core::read_file(big));
  EXPECT_EQ(client.upload("backups", "prod/shop/shop-20261130T120000Z.tar.gz", big), (int64_t{12} << 20) + 123);
  // create + 3 parts + complete + the listing that checks the size
  EXPECT_EQ(client.requests(), 6);

  // rclone sees one object of the right size and reads the same bytes.
  const std::string env = m_server->rclone_env();
  const std::string size = shell(env + "rclone size --json s3test:backups/prod/shop 2>&1");
  EXPECT_EQ(m_last_status, 0) << size;
  EXPECT_NE(size.find("\"bytes\":" + std::to_string((12 << 20) + 123)), std::string::npos) << size;
  const std::string sum =
      shell(env + "rclone cat s3test:backups/prod/shop/shop-20261130T120000Z.tar.gz | sha256sum | cut -c1-64");
  EXPECT_EQ(sum, want + "\n");

  // A single PUT, and an object rclone wrote, both listed and downloaded whole.
  const fs::path small = random_file("shop-20261130T130000Z.tar.gz.enc", 1000);
  client.upload("backups", "prod/shop/shop-20261130T130000Z.tar.gz.enc", small);
  const fs::path theirs = random_file("shop-20261129T000000Z.tar.gz", (size_t{6} << 20) + 1);
  const std::string copy =
      shell(env + "rclone copyto '" + theirs.string() + "' s3test:backups/prod/shop/shop-20261129T000000Z.tar.gz 2>&1");
  ASSERT_EQ(m_last_status, 0) << copy;
  const std::vector<S3Object> listed = client.list("backups", "prod/shop/");
  ASSERT_EQ(listed.size(), 3U);
  EXPECT_EQ(listed[0].key, "prod/shop/shop-20261129T000000Z.tar.gz");
  EXPECT_EQ(listed[0].size, (int64_t{6} << 20) + 1);

  const fs::path down = m_dir.path() / "down";
  fs::create_directories(down);
  EXPECT_EQ(client.download("backups", "prod/shop/shop-20261129T000000Z.tar.gz", down / "a"), (int64_t{6} << 20) + 1);
  EXPECT_EQ(core::sha256_hex(core::read_file(down / "a")), core::sha256_hex(core::read_file(theirs)));
  client.download("backups", "prod/shop/shop-20261130T120000Z.tar.gz", down / "b");
  EXPECT_EQ(core::sha256_hex(core::read_file(down / "b")), want);
  struct stat st {};
  ASSERT_EQ(::stat((down / "b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);

  // The instance's view: its backups by name, oldest first; others' objects are not its own.
  client.upload("backups", "prod/shop/shop-2-20261130T000000Z.tar.gz", small);
  Remote remote{.location = S3Location::parse("s3://backups/prod/shop"), .client = S3Client(m_settings)};
  const std::vector<BackupFile> mine = list_remote_backups(remote, "shop");
  ASSERT_EQ(mine.size(), 3U);
  EXPECT_EQ(mine.front().path, "shop-20261129T000000Z.tar.gz");
  EXPECT_EQ(mine.back().path, "shop-20261130T130000Z.tar.gz.enc");

  // A missing object is an error naming it, and leaves no partial file behind.
  const std::string missing = error_of([&] { client.download("backups", "prod/shop/nope.tar.gz", down / "c"); });
  EXPECT_NE(missing.find("GET s3://backups/prod/shop/nope.tar.gz"), std::string::npos) << missing;
  EXPECT_NE(missing.find("NoSuchKey"), std::string::npos) << missing;
  EXPECT_FALSE(fs::exists(down / "c"));
  EXPECT_FALSE(fs::exists(down / ".c.partial"));

  client.remove("backups", "prod/shop/shop-20261130T120000Z.tar.gz");
  EXPECT_EQ(client.list("backups", "prod/shop/").size(), 3U);
  const std::string after = shell(env + "rclone lsf s3test:backups/prod/shop 2>&1");
  EXPECT_EQ(after.find("shop-20261130T120000Z.tar.gz\n"), std::string::npos) << after;
}

TEST_F(S3RoundTrip, AWrongSecretIsRefusedByTheSignatureCheckAndNotRetried) {
  S3Settings s = m_settings;
  s.secret_access_key = "not-the-secret";
  S3Client client(s);
  const fs::path f = random_file("x", 10);
  const std::string error = error_of([&] { client.upload("backups", "x", f); });
  EXPECT_NE(error.find("HTTP 403 SignatureDoesNotMatch"), std::string::npos) << error;
  EXPECT_EQ(client.requests(), 1);
  EXPECT_TRUE(S3Client(m_settings).list("backups", "x").empty());
}

TEST_F(S3RoundTrip, AStoreThatDoesNotAnswerIsAnErrorNamingTheCredentialsFile) {
  S3Settings s = m_settings;
  s.endpoint = "http://127.0.0.1:" + std::to_string(test::free_port());
  s.path = "/etc/supactl/s3.env";
  S3Client client(s);
  const fs::path f = random_file("x", 10);
  try {
    client.upload("backups", "x", f);
    FAIL() << "an upload to a closed port succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::failure);
    EXPECT_NE(std::string(e.what()).find("PUT s3://backups/x"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("/etc/supactl/s3.env"), std::string::npos) << e.hint();
  }
  EXPECT_EQ(client.requests(), 4);  // retried three times
}

}  // namespace
}  // namespace supactl::backup
