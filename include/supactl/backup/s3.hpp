// SPDX-License-Identifier: Apache-2.0
#pragma once

// Off-site copies of backups in S3 or an S3-compatible store (instance key `backup.target:
// s3://bucket/prefix`). Requests are signed by libcurl (CURLOPT_AWS_SIGV4) with path-style
// addresses (ENDPOINT/BUCKET/KEY). Every request carries the SHA-256 of its payload in
// `x-amz-content-sha256`, which is part of what is signed, so the store refuses a part that
// changed on the way. Files are streamed from disk and to disk: memory does not grow with
// their size. Larger files go up as a multipart upload, aborted when a part fails.
//
// The endpoint, region and keys live in a credentials file (0600; never in instance.yaml and
// never on the command line):
//
//   endpoint=https://s3.eu-central-1.amazonaws.com
//   region=eu-central-1
//   access_key_id=AKIA...
//   secret_access_key=...
//   ca_file=/etc/ssl/private-ca.pem     (optional: a CA bundle for a store with its own CA)

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace supactl::backup {

/// Names the credentials file when neither instance.yaml (`backup.credentials`) nor a flag does.
inline constexpr const char* k_s3_credentials_env = "SUPACTL_S3_CREDENTIALS";

/// `s3://bucket/prefix`: where an instance's backups go.
struct S3Location {
  std::string bucket;
  std::string prefix;  ///< no leading or trailing '/'; may be empty

  /// Throws supactl::Error(usage) naming what is wrong: the scheme, a bucket that is not
  /// 3-63 of a-z0-9.-, or a prefix with characters other than A-Za-z0-9._-/.
  static S3Location parse(std::string_view url);
  std::string url() const;                           ///< s3://bucket[/prefix]
  std::string key(std::string_view filename) const;  ///< prefix/filename
  std::string url_of(std::string_view key) const;    ///< s3://bucket/key
};

/// `s3://bucket/some/prefix/file` → (s3://bucket/some/prefix, "file"); nullopt when `url` does
/// not start with s3://. Throws supactl::Error(usage) when it does but names no object.
std::optional<std::pair<S3Location, std::string>> parse_s3_object(std::string_view url);

struct S3Settings {
  std::string endpoint;  ///< scheme://host[:port], no trailing '/'
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  std::string ca_file;
  std::filesystem::path path;  ///< the file they came from

  /// Parses the KEY=VALUE text of a credentials file (# comments, blank lines; the AWS names
  /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and AWS_ENDPOINT_URL are accepted
  /// too). Throws supactl::Error(usage) naming the missing or unknown key.
  static S3Settings parse(std::string_view text, const std::string& label);
  /// Reads and parses `path`; refuses a file that the group or others may read (exit 2,
  /// naming chmod 600).
  static S3Settings from_file(const std::filesystem::path& path);
};

/// The credentials file to use: `flag` when given, else `$SUPACTL_S3_CREDENTIALS`, else
/// `configured` (instance.yaml's `backup.credentials`). Throws supactl::Error(usage) naming
/// all three when none is set.
std::filesystem::path s3_credentials_path(const std::string& flag, const std::string& configured);

struct S3Object {
  std::string key;
  int64_t size = 0;
  std::string last_modified;  ///< as the store says it, e.g. 2026-11-30T18:00:00.000Z
};

/// One store. Not thread-safe; each call makes its own requests and retries a request that
/// failed on the way (connection, timeout, 5xx) three times. Throws supactl::Error (failure)
/// with the store's error code and message.
class S3Client {
 public:
  static constexpr int64_t k_min_part_size = int64_t{5} << 20;       ///< S3's smallest part
  static constexpr int64_t k_default_part_size = int64_t{64} << 20;  ///< also the largest single PUT
  static constexpr int k_max_parts = 10000;

  explicit S3Client(S3Settings settings, int64_t part_size = k_default_part_size);

  /// Uploads `file` as `key`: one PUT up to the part size, a multipart upload above it. Then
  /// checks that the store holds an object of the file's size. Returns that size.
  int64_t upload(const std::string& bucket, const std::string& key, const std::filesystem::path& file);
  /// Every object under `prefix`, in the store's (lexical) order.
  std::vector<S3Object> list(const std::string& bucket, const std::string& prefix);
  /// Downloads `key` into `to` (mode 0600, written beside it first and renamed when whole).
  /// Returns its size.
  int64_t download(const std::string& bucket, const std::string& key, const std::filesystem::path& to);
  void remove(const std::string& bucket, const std::string& key);

  /// How many HTTP requests this client has made (for tests and `SUPACTL_STATS`).
  int requests() const { return m_requests; }

 private:
  struct Request;
  struct Response {
    long status = 0;
    std::string body;
    std::string etag;
  };
  Response perform(Request& request);
  std::string object_url(const std::string& bucket, const std::string& key) const;

  S3Settings m_settings;
  int64_t m_part_size;
  int m_requests = 0;
};

// Pure helpers, exposed for tests.

/// RFC 3986 percent-encoding as SigV4 wants it: A-Za-z0-9-._~ stay, so does '/' when
/// `keep_slash`, everything else is %XX (upper case).
std::string s3_uri_encode(std::string_view s, bool keep_slash);
/// The text of every <tag>...</tag> in `xml`, in order, with the five XML entities and numeric
/// character references decoded.
std::vector<std::string> xml_texts(std::string_view xml, std::string_view tag);
/// A ListObjectsV2 result page: its objects, and the token of the next page when truncated.
struct ListPage {
  std::vector<S3Object> objects;
  std::optional<std::string> next_token;
};
ListPage parse_list_page(std::string_view xml);
/// The body of a multipart upload's completion request for `etags` (part i+1 → etags[i]).
std::string complete_multipart_xml(const std::vector<std::string>& etags);

}  // namespace supactl::backup
