// SPDX-License-Identifier: Apache-2.0
#include <supactl/backup/s3.hpp>
#include <supactl/core/cancel.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fd.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/sha256.hpp>

#include <curl/curl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <regex>
#include <thread>

namespace supactl::backup {

namespace fs = std::filesystem;

namespace {

constexpr size_t k_io_chunk = size_t{1} << 20;
constexpr size_t k_max_body = size_t{16} << 20;  ///< listings and error documents, never objects
constexpr int k_attempts = 4;

bool valid_bucket(std::string_view b) {
  static const std::regex k_bucket(R"(^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$)");
  return std::regex_match(std::string(b), k_bucket);
}

bool valid_prefix(std::string_view p) {
  return std::all_of(p.begin(), p.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || c == '/';
  });
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string decode_entities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out += s[i];
      continue;
    }
    const std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") {
      out += '&';
    } else if (ent == "lt") {
      out += '<';
    } else if (ent == "gt") {
      out += '>';
    } else if (ent == "quot") {
      out += '"';
    } else if (ent == "apos") {
      out += '\'';
    } else if (ent.size() > 1 && ent[0] == '#') {
      const bool hex = ent[1] == 'x' || ent[1] == 'X';
      const unsigned long cp = std::strtoul(std::string(ent.substr(hex ? 2 : 1)).c_str(), nullptr, hex ? 16 : 10);
      // UTF-8 of the code point (keys are UTF-8).
      if (cp < 0x80) {
        out += static_cast<char>(cp);
      } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      }
    } else {
      out += s.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

/// The store's <Code> and <Message>, or the start of the body when it is not an S3 error.
std::string error_text(long status, std::string_view body) {
  const std::vector<std::string> codes = xml_texts(body, "Code");
  const std::vector<std::string> messages = xml_texts(body, "Message");
  if (!codes.empty()) {
    return fmt::format("HTTP {} {}{}", status, codes.front(), messages.empty() ? "" : ": " + messages.front());
  }
  std::string head = trim(body.substr(0, 200));
  std::replace(head.begin(), head.end(), '\n', ' ');
  return head.empty() ? fmt::format("HTTP {}", status) : fmt::format("HTTP {}: {}", status, head);
}

/// SHA-256 of `length` bytes of `fd` from `offset`, read in 1 MiB chunks.
std::string hash_range(int fd, int64_t offset, int64_t length, const fs::path& file) {
  core::Sha256 h;
  std::vector<char> buf(k_io_chunk);
  while (length > 0) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(length, static_cast<int64_t>(buf.size())));
    const ssize_t r = ::pread(fd, buf.data(), want, offset);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) throw Error(fmt::format("cannot read {}: {}", file.string(), r < 0 ? std::strerror(errno) : "short"));
    h.update(std::string_view(buf.data(), static_cast<size_t>(r)));
    offset += r;
    length -= r;
  }
  return h.hex();
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

// --- locations and settings --------------------------------------------------------------------

S3Location S3Location::parse(std::string_view url) {
  const std::string hint = "write it as s3://bucket or s3://bucket/prefix";
  if (url.substr(0, 5) != "s3://") {
    throw Error(fmt::format("backup target `{}` is not an s3:// address", url), ExitCode::usage, hint);
  }
  std::string_view rest = url.substr(5);
  const size_t slash = rest.find('/');
  S3Location loc;
  loc.bucket = std::string(rest.substr(0, slash));
  if (!valid_bucket(loc.bucket)) {
    throw Error(fmt::format("`{}` is not an S3 bucket name", loc.bucket), ExitCode::usage,
                "a bucket name is 3-63 of a-z, 0-9, '.' and '-', starting and ending with a letter or digit");
  }
  std::string_view prefix = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (!valid_prefix(prefix) || prefix.find("//") != std::string_view::npos || prefix.substr(0, 1) == "/") {
    throw Error(fmt::format("S3 prefix `{}` has characters supactl does not use in keys", prefix), ExitCode::usage,
                "use A-Z, a-z, 0-9, '.', '_', '-' and single '/' in the prefix");
  }
  loc.prefix = std::string(prefix);
  return loc;
}

std::string S3Location::url() const { return prefix.empty() ? "s3://" + bucket : "s3://" + bucket + "/" + prefix; }

std::string S3Location::key(std::string_view filename) const {
  return prefix.empty() ? std::string(filename) : prefix + "/" + std::string(filename);
}

std::string S3Location::url_of(std::string_view k) const { return "s3://" + bucket + "/" + std::string(k); }

std::optional<std::pair<S3Location, std::string>> parse_s3_object(std::string_view url) {
  if (url.substr(0, 5) != "s3://") return std::nullopt;
  const size_t last = url.rfind('/');
  if (last < 5 || last + 1 == url.size() || url.find('/', 5) == std::string_view::npos) {
    throw Error(fmt::format("`{}` names no object", url), ExitCode::usage,
                "name the backup as s3://bucket/prefix/NAME-<time>.tar.gz (`supactl backup ls NAME` lists them)");
  }
  S3Location loc = S3Location::parse(url.substr(0, last));
  std::string file(url.substr(last + 1));
  if (!valid_prefix(file) || file == "." || file == "..") {
    throw Error(fmt::format("`{}` is not a backup file name", file), ExitCode::usage,
                "`supactl backup ls NAME` lists them");
  }
  return std::make_pair(std::move(loc), std::move(file));
}

S3Settings S3Settings::parse(std::string_view text, const std::string& label) {
  S3Settings s;
  bool region_set = false;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t nl = text.find('\n', pos);
    const std::string line = trim(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      throw Error(fmt::format("{}:{}: expected KEY=VALUE", label, line_no), ExitCode::usage,
                  "write endpoint=, region=, access_key_id= and secret_access_key= lines");
    }
    const std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    if (key == "endpoint" || key == "AWS_ENDPOINT_URL") {
      s.endpoint = value;
    } else if (key == "region" || key == "AWS_REGION" || key == "AWS_DEFAULT_REGION") {
      s.region = value;
      region_set = true;
    } else if (key == "access_key_id" || key == "AWS_ACCESS_KEY_ID") {
      s.access_key_id = value;
    } else if (key == "secret_access_key" || key == "AWS_SECRET_ACCESS_KEY") {
      s.secret_access_key = value;
    } else if (key == "ca_file") {
      s.ca_file = value;
    } else {
      throw Error(fmt::format("{}:{}: unknown key `{}`", label, line_no, key), ExitCode::usage,
                  "the keys are endpoint, region, access_key_id, secret_access_key and ca_file");
    }
  }
  while (!s.endpoint.empty() && s.endpoint.back() == '/') s.endpoint.pop_back();
  if (s.endpoint.empty() && region_set) s.endpoint = fmt::format("https://s3.{}.amazonaws.com", s.region);
  for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"endpoint", &s.endpoint},
                                    {"access_key_id", &s.access_key_id},
                                    {"secret_access_key", &s.secret_access_key}}) {
    if (value->empty()) {
      throw Error(fmt::format("{}: `{}` is missing", label, name), ExitCode::usage,
                  fmt::format("add a line `{}=...`", name));
    }
  }
  if (s.endpoint.rfind("https://", 0) != 0 && s.endpoint.rfind("http://", 0) != 0) {
    throw Error(fmt::format("{}: endpoint `{}` is not an http(s) URL", label, s.endpoint), ExitCode::usage,
                "write it as https://HOST[:PORT]");
  }
  if (s.endpoint.find('/', s.endpoint.find("://") + 3) != std::string::npos) {
    throw Error(fmt::format("{}: endpoint `{}` has a path", label, s.endpoint), ExitCode::usage,
                "give only scheme, host and port; the bucket goes in backup.target");
  }
  return s;
}

S3Settings S3Settings::from_file(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw Error(fmt::format("cannot read S3 credentials file {}: {}", path.string(), std::strerror(errno)),
                ExitCode::usage, "write endpoint=, region=, access_key_id= and secret_access_key= lines in it (0600)");
  }
  if ((st.st_mode & 077) != 0) {
    throw Error(
        fmt::format("S3 credentials file {} can be read by others (mode {:04o})", path.string(), st.st_mode & 07777),
        ExitCode::usage, fmt::format("run `chmod 600 {}`", path.string()));
  }
  S3Settings s = parse(core::read_file(path), path.string());
  s.path = fs::absolute(path).lexically_normal();
  return s;
}

fs::path s3_credentials_path(const std::string& flag, const std::string& configured) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv(k_s3_credentials_env); env != nullptr && *env != '\0') return env;
  if (!configured.empty()) return configured;
  throw Error("the S3 backup target needs a credentials file", ExitCode::usage,
              fmt::format("set backup.credentials in instance.yaml, ${} or --s3-credentials PATH (a 0600 file with "
                          "endpoint=, region=, access_key_id= and secret_access_key=)",
                          k_s3_credentials_env));
}

// --- pure helpers ----------------------------------------------------------------------------

std::string s3_uri_encode(std::string_view s, bool keep_slash) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::vector<std::string> xml_texts(std::string_view xml, std::string_view tag) {
  std::vector<std::string> out;
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    const size_t start = pos + open.size();
    const size_t end = xml.find(close, start);
    if (end == std::string_view::npos) break;
    out.push_back(decode_entities(xml.substr(start, end - start)));
    pos = end + close.size();
  }
  return out;
}

ListPage parse_list_page(std::string_view xml) {
  ListPage page;
  // Each <Contents> element's leaves are read from its raw text, so each is decoded once.
  size_t pos = 0;
  while ((pos = xml.find("<Contents>", pos)) != std::string_view::npos) {
    const size_t end = xml.find("</Contents>", pos);
    if (end == std::string_view::npos) break;
    const std::string_view element = xml.substr(pos, end - pos);
    const std::vector<std::string> keys = xml_texts(element, "Key");
    const std::vector<std::string> sizes = xml_texts(element, "Size");
    const std::vector<std::string> times = xml_texts(element, "LastModified");
    if (!keys.empty()) {
      S3Object o;
      o.key = keys.front();
      o.size = sizes.empty() ? 0 : std::strtoll(sizes.front().c_str(), nullptr, 10);
      o.last_modified = times.empty() ? "" : times.front();
      page.objects.push_back(std::move(o));
    }
    pos = end;
  }
  const std::vector<std::string> truncated = xml_texts(xml, "IsTruncated");
  const std::vector<std::string> token = xml_texts(xml, "NextContinuationToken");
  if (!truncated.empty() && truncated.front() == "true" && !token.empty()) page.next_token = token.front();
  return page;
}

std::string complete_multipart_xml(const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    std::string etag;
    for (const char c : etags[i]) {
      if (c == '&') {
        etag += "&amp;";
      } else if (c == '<') {
        etag += "&lt;";
      } else if (c == '>') {
        etag += "&gt;";
      } else if (c == '"') {
        etag += "&quot;";
      } else {
        etag += c;
      }
    }
    xml += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1, etag);
  }
  xml += "</CompleteMultipartUpload>";
  return xml;
}

// --- the client ----------------------------------------------------------------------------

/// One request: a method, a URL whose query is already in SigV4's canonical form (sorted,
/// encoded, `k=` for a bare key: libcurl 7.88 signs the query as given), a payload (none, a
/// string, or a range of a file) and where the response body goes (memory, or a file).
struct S3Client::Request {
  Request(std::string m, std::string u, std::string w, std::string type = {})
      : method(std::move(m)), url(std::move(u)), what(std::move(w)), content_type(std::move(type)) {}
  std::string method;
  std::string url;
  std::string what;  ///< "PUT s3://bucket/key", for errors
  std::string content_type;
  std::optional<std::string> body;
  int fd = -1;  ///< payload from this file ...
  int64_t offset = 0;
  int64_t length = 0;  ///< ... these bytes of it
  std::string payload_hash;
  int out_fd = -1;  ///< a 2xx response body goes here instead of memory
  int64_t written = 0;
};

namespace {

struct Transfer {
  const std::string* body = nullptr;
  int fd = -1;
  int64_t offset = 0;
  int64_t left = 0;
  size_t body_pos = 0;
  CURL* curl = nullptr;
  int out_fd = -1;
  int64_t* written = nullptr;
  std::string* memory = nullptr;
  bool write_failed = false;
};

size_t on_read(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t room = size * n;
  if (t->body != nullptr) {
    const size_t take = std::min(room, t->body->size() - t->body_pos);
    std::memcpy(buf, t->body->data() + t->body_pos, take);
    t->body_pos += take;
    return take;
  }
  const size_t want = static_cast<size_t>(std::min<int64_t>(t->left, static_cast<int64_t>(room)));
  if (want == 0) return 0;
  ssize_t r = 0;
  do {
    r = ::pread(t->fd, buf, want, t->offset);
  } while (r < 0 && errno == EINTR);
  if (r <= 0) return CURL_READFUNC_ABORT;
  t->offset += r;
  t->left -= r;
  return static_cast<size_t>(r);
}

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->out_fd >= 0 && status >= 200 && status < 300) {
    if (!core::write_all(t->out_fd, std::string_view(data, len))) {
      t->write_failed = true;
      return 0;
    }
    *t->written += static_cast<int64_t>(len);
    return len;
  }
  if (t->memory->size() + len > k_max_body) return 0;
  t->memory->append(data, len);
  return len;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  const size_t len = size * n;
  const std::string_view line(data, len);
  if (line.size() > 5 && ::strncasecmp(data, "etag:", 5) == 0) *static_cast<std::string*>(user) = trim(line.substr(5));
  return len;
}

int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return core::cancel_requested() ? 1 : 0; }

bool transient(CURLcode code) {
  return code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT || code == CURLE_SEND_ERROR ||
         code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING || code == CURLE_PARTIAL_FILE ||
         code == CURLE_COULDNT_RESOLVE_HOST;
}

}  // namespace

S3Client::S3Client(S3Settings settings, int64_t part_size)
    : m_settings(std::move(settings)), m_part_size(std::max(part_size, k_min_part_size)) {}

std::string S3Client::object_url(const std::string& bucket, const std::string& key) const {
  return m_settings.endpoint + "/" + bucket + "/" + s3_uri_encode(key, true);
}

S3Client::Response S3Client::perform(Request& request) {
  if (request.payload_hash.empty()) {
    request.payload_hash = request.body ? core::sha256_hex(*request.body) : core::sha256_hex("");
  }
  const std::string sigv4 = "aws:amz:" + m_settings.region + ":s3";
  const std::string userpwd = m_settings.access_key_id + ":" + m_settings.secret_access_key;
  std::string last_error;
  for (int attempt = 1; attempt <= k_attempts; ++attempt) {
    if (core::cancel_requested()) throw Error("interrupted", ExitCode::interrupted);
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) throw Error("libcurl could not start a request");
    CURL* c = curl.get();
    Response response;
    Transfer t;
    t.curl = c;
    t.memory = &response.body;
    t.out_fd = request.out_fd;
    t.written = &request.written;
    if (request.out_fd >= 0) {
      request.written = 0;
      if (::ftruncate(request.out_fd, 0) != 0 || ::lseek(request.out_fd, 0, SEEK_SET) != 0) {
        throw Error(fmt::format("cannot reset the download file: {}", std::strerror(errno)));
      }
    }
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    auto add_header = [&](const std::string& h) { headers.reset(curl_slist_append(headers.release(), h.c_str())); };
    // Only headers that are sent may be added here: libcurl signs every header in this list,
    // even a removal such as "Expect:" that sends nothing, and S3 would then refuse the
    // signature (tests/support/sigv4_proxy.py checks it).
    add_header("x-amz-content-sha256: " + request.payload_hash);
    if (!request.content_type.empty()) add_header("Content-Type: " + request.content_type);

    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.etag);
    if (!m_settings.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, m_settings.ca_file.c_str());

    if (request.method == "PUT") {
      t.fd = request.fd;
      t.offset = request.offset;
      t.left = request.length;
      if (request.body) t.body = &*request.body;
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(c, CURLOPT_READDATA, &t);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(request.body ? request.body->size() : request.length));
    } else if (request.method == "POST") {
      const std::string& body = request.body ? *request.body : std::string();
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, body.c_str());
    } else if (request.method != "GET") {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

    ++m_requests;
    const CURLcode code = curl_easy_perform(c);
    if (code == CURLE_ABORTED_BY_CALLBACK && core::cancel_requested()) {
      throw Error("interrupted", ExitCode::interrupted);
    }
    if (t.write_failed) throw Error(fmt::format("cannot write the download: {}", std::strerror(errno)));
    if (code == CURLE_OK) {
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
      if (response.status >= 200 && response.status < 300) return response;
      last_error = error_text(response.status, response.body);
      if (response.status < 500) break;
    } else {
      last_error = curl_easy_strerror(code);
      if (!transient(code)) break;
    }
    if (attempt < k_attempts) std::this_thread::sleep_for(std::chrono::milliseconds(500 << (attempt - 1)));
  }
  throw Error(fmt::format("S3 {}: {}", request.what, last_error), ExitCode::failure,
              fmt::format("check the endpoint, bucket and keys in {}",
                          m_settings.path.empty() ? std::string("the credentials file") : m_settings.path.string()));
}

int64_t S3Client::upload(const std::string& bucket, const std::string& key, const fs::path& file) {
  const core::UniqueFd fd = core::open_fd(file.c_str(), O_RDONLY);
  if (!fd) throw Error(fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw Error(fmt::format("cannot stat {}: {}", file.string(), std::strerror(errno)));
  const int64_t size = st.st_size;
  const std::string url = object_url(bucket, key);
  const std::string what = "PUT " + S3Location{bucket, ""}.url_of(key);

  if (size <= m_part_size) {
    Request put("PUT", url, what, "application/octet-stream");
    put.fd = fd.get();
    put.length = size;
    put.payload_hash = hash_range(fd.get(), 0, size, file);
    perform(put);
  } else {
    // Parts of at least m_part_size, at most 10000 of them.
    const int64_t part = std::max(m_part_size, (size + k_max_parts - 1) / k_max_parts);
    Request create("POST", url + "?uploads=", what, "application/octet-stream");
    create.body = "";
    const std::vector<std::string> ids = xml_texts(perform(create).body, "UploadId");
    if (ids.empty()) throw Error(fmt::format("S3 {}: the store returned no upload id", what));
    const std::string upload_id = s3_uri_encode(ids.front(), false);
    try {
      std::vector<std::string> etags;
      for (int64_t offset = 0, number = 1; offset < size; offset += part, ++number) {
        Request put("PUT", fmt::format("{}?partNumber={}&uploadId={}", url, number, upload_id),
                    fmt::format("{} (part {})", what, number));
        put.fd = fd.get();
        put.offset = offset;
        put.length = std::min(part, size - offset);
        put.payload_hash = hash_range(fd.get(), offset, put.length, file);
        const Response r = perform(put);
        if (r.etag.empty()) throw Error(fmt::format("S3 {} (part {}): the store returned no ETag", what, number));
        etags.push_back(r.etag);
      }
      Request complete("POST", url + "?uploadId=" + upload_id, what + " (complete)", "application/xml");
      complete.body = complete_multipart_xml(etags);
      const Response r = perform(complete);
      // S3 may answer 200 and put the error in the body.
      if (!xml_texts(r.body, "Code").empty() && r.body.find("<Error>") != std::string::npos) {
        throw Error(fmt::format("S3 {}: {}", complete.what, error_text(r.status, r.body)));
      }
    } catch (...) {
      try {
        Request abort("DELETE", url + "?uploadId=" + upload_id, what + " (abort)");
        perform(abort);
      } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): the first error is the one to report
      }
      throw;
    }
  }

  // The store holds the object, whole.
  for (const S3Object& o : list(bucket, key)) {
    if (o.key == key) {
      if (o.size != size) {
        throw Error(fmt::format("S3 {}: the store holds {} bytes, the file has {}", what, o.size, size));
      }
      return size;
    }
  }
  throw Error(fmt::format("S3 {}: the object is not listed after the upload", what));
}

std::vector<S3Object> S3Client::list(const std::string& bucket, const std::string& prefix) {
  std::vector<S3Object> out;
  std::optional<std::string> token;
  do {
    // Query keys in SigV4 order: continuation-token < list-type < prefix.
    std::string query;
    if (token) query += "continuation-token=" + s3_uri_encode(*token, false) + "&";
    query += "list-type=2&prefix=" + s3_uri_encode(prefix, false);
    Request get("GET", m_settings.endpoint + "/" + bucket + "?" + query,
                "LIST " + S3Location{bucket, ""}.url_of(prefix));
    ListPage page = parse_list_page(perform(get).body);
    std::move(page.objects.begin(), page.objects.end(), std::back_inserter(out));
    token = std::move(page.next_token);
  } while (token);
  return out;
}

int64_t S3Client::download(const std::string& bucket, const std::string& key, const fs::path& to) {
  const fs::path partial = to.parent_path() / ("." + to.filename().string() + ".partial");
  core::UniqueFd fd = core::open_fd(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!fd) throw Error(fmt::format("cannot write {}: {}", partial.string(), std::strerror(errno)));
  core::ScopeExit cleanup([&partial] {
    std::error_code ec;
    fs::remove(partial, ec);
  });
  Request get("GET", object_url(bucket, key), "GET " + S3Location{bucket, ""}.url_of(key));
  get.out_fd = fd.get();
  perform(get);
  if (::fsync(fd.get()) != 0 || fd.close() != 0) {
    throw Error(fmt::format("cannot write {}: {}", partial.string(), std::strerror(errno)));
  }
  fs::rename(partial, to);
  cleanup.dismiss();
  return get.written;
}

void S3Client::remove(const std::string& bucket, const std::string& key) {
  Request del("DELETE", object_url(bucket, key), "DELETE " + S3Location{bucket, ""}.url_of(key));
  perform(del);
}

}  // namespace supactl::backup
