// SPDX-License-Identifier: Apache-2.0
//
// instance.yaml → InstanceSpec. The reader walks the document once, converting and checking
// each field where it stands so every message carries the line it is about
// (`instance.yaml:12: ports.http must be a number between 1 and 65535`). It never stops at
// the first problem: all of them are collected and thrown together, like a compiler does.
#include <supactl/config/home.hpp>
#include <supactl/config/spec.hpp>

#include <supactl/core/error.hpp>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <regex>

namespace supactl::config {

namespace {

/// A value as an error message shows it: at most 80 characters (a long one is cut, with an
/// ellipsis), non-ASCII left as it is.
std::string shown(const std::string& value) {
  if (value.size() <= 80) return value;
  std::size_t cut = 80;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
  return value.substr(0, cut) + "…";
}

/// Collects problems with the line they come from.
class Reader {
 public:
  explicit Reader(std::string label) : m_label(std::move(label)) {}

  void problem(const YAML::Node& node, const std::string& message) {
    int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 1;
    m_problems.push_back(fmt::format("{}:{}: {}", m_label, line, message));
  }
  void problem_at(int line, const std::string& message) {
    m_problems.push_back(fmt::format("{}:{}: {}", m_label, line, message));
  }
  /// A problem about the value of `key` in mapping `map`, reported at the key's line (a block
  /// mapping's own mark is its first entry, not the line naming it).
  void problem_key(const YAML::Node& map, const std::string& key, const std::string& message) {
    int line = 1;
    if (map && map.IsMap()) {
      for (const auto& kv : map) {
        if (kv.first.Scalar() == key) line = kv.first.Mark().line + 1;
      }
    }
    problem_at(line, message);
  }
  const std::vector<std::string>& problems() const { return m_problems; }

  /// A mapping (or absent); reports keys that spec_key_paths() does not list below `path`.
  bool mapping(const YAML::Node& node, const std::string& path) { return mapping(node, path, spec_child_keys(path)); }

  /// A mapping (or absent); reports keys not in `known` (empty = any key) with their own line.
  bool mapping(const YAML::Node& node, const std::string& path, const std::vector<std::string>& known) {
    if (!node || node.IsNull()) return false;
    if (!node.IsMap()) {
      problem(node, fmt::format("{} must be a mapping", path));
      return false;
    }
    for (const auto& it : node) {
      std::string key = it.first.Scalar();
      if (known.size() != 0 && std::find(known.begin(), known.end(), key) == known.end()) {
        problem(it.first, fmt::format("unknown key `{}{}`", path.empty() ? "" : path + ".", shown(key)));
      }
    }
    return true;
  }

  void string(const YAML::Node& node, const std::string& path, std::string& out) {
    if (!node || node.IsNull()) return;
    if (!node.IsScalar()) {
      problem(node, fmt::format("{} must be a string", path));
      return;
    }
    if (!printable(node, path)) return;
    out = node.Scalar();
  }

  /// Control characters (line breaks, tabs, escapes) have no meaning in any value of
  /// instance.yaml and could start a new line in a rendered file: refused.
  bool printable(const YAML::Node& node, const std::string& path) {
    for (unsigned char c : node.Scalar()) {
      if (c < 0x20 || c == 0x7f) {
        problem(node, fmt::format("{} must not contain control characters (line breaks, tabs)", path));
        return false;
      }
    }
    return true;
  }

  void integer(const YAML::Node& node, const std::string& path, std::int64_t min, std::int64_t max, std::int64_t& out) {
    if (!node || node.IsNull()) return;
    std::int64_t value = 0;
    if (!node.IsScalar() || !YAML::convert<std::int64_t>::decode(node, value) || value < min || value > max) {
      problem(node, fmt::format("{} must be a number between {} and {}", path, min, max));
      return;
    }
    out = value;
  }

  void integer(const YAML::Node& node, const std::string& path, int min, int max, int& out) {
    std::int64_t value = out;
    integer(node, path, std::int64_t{min}, std::int64_t{max}, value);
    out = static_cast<int>(value);
  }

  void boolean(const YAML::Node& node, const std::string& path, bool& out) {
    if (!node || node.IsNull()) return;
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      problem(node, fmt::format("{} must be true or false", path));
      return;
    }
    out = value;
  }

  void string_list(const YAML::Node& node, const std::string& path, std::vector<std::string>& out) {
    if (!node || node.IsNull()) return;
    if (!node.IsSequence()) {
      problem(node, fmt::format("{} must be a list of strings", path));
      return;
    }
    out.clear();
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) {
        problem(item, fmt::format("{} must be a list of strings", path));
        continue;
      }
      if (!printable(item, path)) continue;
      out.push_back(item.Scalar());
    }
  }

 private:
  std::string m_label;
  std::vector<std::string> m_problems;
};

bool is_known(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool valid_hostname(const std::string& host) {
  static const std::regex k_host(R"(^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$)");
  return !host.empty() && host.size() <= 253 && std::regex_match(host, k_host);
}

/// Why `url` cannot be `public_url` ("" when it can): it must be `http(s)://HOST[:PORT]` and
/// nothing more, since the services append their own paths (`/auth/v1`, `/storage/v1`) to it.
/// A trailing slash is refused rather than stripped, so the file says what the services get.
std::string public_url_problem(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? std::string() : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return "public_url must start with http:// or https://, e.g. https://api.example.com";
  }
  const std::size_t host_begin = scheme_end + 3;
  const std::size_t host_end = std::min(url.find_first_of("/?#", host_begin), url.size());
  const std::string authority = url.substr(host_begin, host_end - host_begin);
  const std::string root = scheme + "://" + authority;
  static const std::regex k_authority(
      R"(^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)"  // a host name,
      R"(|\[[0-9A-Fa-f:.]+\])(:([0-9]{1,5}))?$)");                                              // or [IPv6]; :port
  std::smatch m;
  const bool authority_ok = std::regex_match(authority, m, k_authority) &&
                            (!m[6].matched || (std::stoi(m[6].str()) >= 1 && std::stoi(m[6].str()) <= 65535));
  if (!authority_ok) {
    return fmt::format(
        "public_url needs a host name after {0}:// (and optionally :PORT 1-65535), e.g. {0}://api.example.com", scheme);
  }
  const std::string rest = url.substr(host_end);
  if (rest == "/") return fmt::format("public_url must not end with `/`: write `{}`", root);
  if (rest.find_first_of("?#") != std::string::npos) {
    return fmt::format("public_url must not have a query or fragment: write `{}`", root);
  }
  if (!rest.empty()) {
    return fmt::format(
        "public_url must not have a path (the API routes and Studio sit at /): write `{}` and give the "
        "instance a host name of its own",
        root);
  }
  return {};
}

void read_ports(Reader& r, const YAML::Node& root, Ports& ports) {
  const YAML::Node node = root["ports"];
  if (!r.mapping(node, "ports")) {
    r.problem_key(root, "ports", "ports.http and ports.https are required");
    return;
  }
  r.integer(node["http"], "ports.http", 1, 65535, ports.http);
  r.integer(node["https"], "ports.https", 1, 65535, ports.https);
  r.integer(node["db"], "ports.db", 0, 65535, ports.db);
  r.integer(node["pooler_session"], "ports.pooler_session", 0, 65535, ports.pooler_session);
  r.integer(node["pooler_transaction"], "ports.pooler_transaction", 0, 65535, ports.pooler_transaction);
  for (const char* key : {"pooler_session", "pooler_transaction"}) {
    int port = std::string(key) == "pooler_session" ? ports.pooler_session : ports.pooler_transaction;
    if (port != 0 && (port == ports.http || port == ports.https || port == ports.db)) {
      r.problem(node[key], fmt::format("ports.{} must differ from the other ports", key));
    }
  }
  if (ports.pooler_session != 0 && ports.pooler_session == ports.pooler_transaction) {
    r.problem(node["pooler_transaction"], "ports.pooler_transaction must differ from ports.pooler_session");
  }
  if (!node["http"] || !node["https"]) r.problem_key(root, "ports", "ports.http and ports.https are required");
  if (ports.http != 0 && ports.http == ports.https) r.problem(node["https"], "ports.https must differ from ports.http");
  if (ports.db != 0 && (ports.db == ports.http || ports.db == ports.https)) {
    r.problem(node["db"], "ports.db must differ from ports.http and ports.https");
  }
}

void read_services(Reader& r, const YAML::Node& node, InstanceSpec& spec) {
  if (!r.mapping(node, "services")) return;
  for (const auto& it : node) {
    std::string key = it.first.Scalar();
    if (!is_known(optional_services(), key)) {
      std::string why = is_known(all_services(), key) ? "cannot be switched off" : "is not a service";
      r.problem(it.first,
                fmt::format("services.{} {} (optional services: {})", key, why, fmt::join(optional_services(), ", ")));
      continue;
    }
    bool on = default_enabled(key);
    r.boolean(it.second, "services." + key, on);
    spec.services[key] = on;
  }
}

void read_kong(Reader& r, const YAML::Node& node, KongSpec& kong) {
  if (!r.mapping(node, "kong")) return;
  r.integer(node["replicas"], "kong.replicas", 1, 16, kong.replicas);
  const YAML::Node limit = node["rate_limit"];
  if (!r.mapping(limit, "kong.rate_limit")) return;
  r.boolean(limit["enabled"], "kong.rate_limit.enabled", kong.rate_limit.enabled);
  r.integer(limit["per_second"], "kong.rate_limit.per_second", 0, 1000000, kong.rate_limit.per_second);
  r.integer(limit["per_minute"], "kong.rate_limit.per_minute", 0, 100000000, kong.rate_limit.per_minute);
  if (kong.rate_limit.enabled && kong.rate_limit.per_second == 0 && kong.rate_limit.per_minute == 0) {
    r.problem_key(node, "rate_limit", "kong.rate_limit needs per_second or per_minute above 0 (or enabled: false)");
  }
}

void read_auth(Reader& r, const YAML::Node& node, AuthSpec& auth) {
  if (!r.mapping(node, "auth")) {
    return;
  }
  r.string(node["site_url"], "auth.site_url", auth.site_url);
  if (node["site_url"] && auth.site_url.rfind("http://", 0) != 0 && auth.site_url.rfind("https://", 0) != 0) {
    r.problem(node["site_url"], "auth.site_url must start with http:// or https://");
  }
  r.string_list(node["additional_redirect_urls"], "auth.additional_redirect_urls", auth.additional_redirect_urls);
  r.integer(node["jwt_expiry"], "auth.jwt_expiry", 30, 604800, auth.jwt_expiry);
  r.boolean(node["disable_signup"], "auth.disable_signup", auth.disable_signup);
  r.boolean(node["email_signup"], "auth.email_signup", auth.email_signup);
  r.boolean(node["email_autoconfirm"], "auth.email_autoconfirm", auth.email_autoconfirm);
  r.boolean(node["anonymous_users"], "auth.anonymous_users", auth.anonymous_users);
  r.boolean(node["phone_signup"], "auth.phone_signup", auth.phone_signup);
  r.boolean(node["phone_autoconfirm"], "auth.phone_autoconfirm", auth.phone_autoconfirm);

  const YAML::Node providers = node["providers"];
  if (r.mapping(providers, "auth.providers", oauth_providers())) {
    for (const auto& it : providers) {
      std::string key = it.first.Scalar();
      std::string path = "auth.providers." + key;
      if (!r.mapping(it.second, path, spec_child_keys("auth.providers.<provider>"))) continue;
      OAuthProvider p;
      r.boolean(it.second["enabled"], path + ".enabled", p.enabled);
      r.string(it.second["client_id"], path + ".client_id", p.client_id);
      r.string(it.second["redirect_uri"], path + ".redirect_uri", p.redirect_uri);
      if (p.enabled && p.client_id.empty()) r.problem_key(providers, key, path + ".client_id is required when enabled");
      auth.providers[key] = p;
    }
  }
  const YAML::Node smtp = node["smtp"];
  if (r.mapping(smtp, "auth.smtp")) {
    r.string(smtp["host"], "auth.smtp.host", auth.smtp.host);
    r.integer(smtp["port"], "auth.smtp.port", 1, 65535, auth.smtp.port);
    r.string(smtp["user"], "auth.smtp.user", auth.smtp.user);
    r.string(smtp["sender_name"], "auth.smtp.sender_name", auth.smtp.sender_name);
    r.string(smtp["admin_email"], "auth.smtp.admin_email", auth.smtp.admin_email);
  }
}

void read_storage(Reader& r, const YAML::Node& node, StorageSpec& storage) {
  if (!r.mapping(node, "storage")) return;
  std::string backend = to_string(storage.backend);
  r.string(node["backend"], "storage.backend", backend);
  if (backend == "minio") {
    storage.backend = StorageBackend::minio;
  } else if (backend == "file") {
    storage.backend = StorageBackend::file;
  } else {
    r.problem(node["backend"], fmt::format("storage.backend must be minio or file (not `{}`)", shown(backend)));
  }
  r.string(node["bucket"], "storage.bucket", storage.bucket);
  static const std::regex k_bucket(R"(^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$)");
  if (!std::regex_match(storage.bucket, k_bucket)) {
    r.problem(node["bucket"] ? node["bucket"] : node,
              "storage.bucket must be 3-63 lower-case letters, digits, '.' or '-'");
  }
  r.integer(node["file_size_limit"], "storage.file_size_limit", std::int64_t{1}, std::int64_t{1} << 40,
            storage.file_size_limit);
}

void read_tls(Reader& r, const YAML::Node& root, TlsSpec& tls, const std::string& domain) {
  const YAML::Node node = root["tls"];
  if (!r.mapping(node, "tls")) return;
  std::string mode = to_string(tls.mode);
  r.string(node["mode"], "tls.mode", mode);
  r.string(node["email"], "tls.email", tls.email);
  // It is written into the Caddyfile as one token.
  static const std::regex k_email(R"(^[^\s"'{}#@]+@[A-Za-z0-9.-]+$)");
  if (!tls.email.empty() && !std::regex_match(tls.email, k_email)) {
    r.problem(node["email"], "tls.email must be an e-mail address like ops@example.com");
  }
  if (mode == "internal") {
    tls.mode = TlsMode::internal;
  } else if (mode == "acme") {
    tls.mode = TlsMode::acme;
    if (tls.email.empty()) r.problem_key(root, "tls", "tls.mode acme needs tls.email (the ACME account)");
    if (domain == "localhost" || domain.find('.') == std::string::npos) {
      r.problem(node["mode"], "tls.mode acme needs a public domain (set `domain`)");
    }
  } else if (mode == "off") {
    tls.mode = TlsMode::off;
  } else {
    r.problem(node["mode"], fmt::format("tls.mode must be internal, acme or off (not `{}`)", shown(mode)));
  }
}

void read_resources(Reader& r, const YAML::Node& node, std::map<std::string, Resources>& out) {
  if (!r.mapping(node, "resources")) return;
  static const std::regex k_memory(R"(^[0-9]+(\.[0-9]+)?[bkmg]?$)");
  static const std::regex k_cpus(R"(^[0-9]+(\.[0-9]+)?$)");
  for (const auto& it : node) {
    std::string service = it.first.Scalar();
    std::string path = "resources." + service;
    if (!is_known(all_services(), service)) {
      r.problem(it.first, fmt::format("{}: `{}` is not a service", path, shown(service)));
      continue;
    }
    if (!r.mapping(it.second, path, spec_child_keys("resources.<service>"))) continue;
    Resources res;
    r.string(it.second["memory"], path + ".memory", res.memory);
    r.string(it.second["cpus"], path + ".cpus", res.cpus);
    if (!res.memory.empty() && !std::regex_match(res.memory, k_memory)) {
      r.problem(it.second["memory"], path + ".memory must look like 512m or 2g");
    }
    if (!res.cpus.empty() && (!std::regex_match(res.cpus, k_cpus) || std::stod(res.cpus) <= 0)) {
      r.problem(it.second["cpus"], path + ".cpus must be a number above 0, like 1.5");
    }
    out[service] = res;
  }
}

void read_scale(Reader& r, const YAML::Node& node, std::map<std::string, int>& out) {
  if (!r.mapping(node, "scale")) return;
  for (const auto& it : node) {
    std::string service = it.first.Scalar();
    std::string path = "scale." + service;
    if (service == "kong") {
      r.problem(it.first, "scale.kong: kong's replicas are kong.replicas");
      continue;
    }
    if (std::string why = scale_refusal(service); !why.empty()) {
      r.problem(it.first, fmt::format("{}: {}", path,
                                      is_known(all_services(), service) ? why : "`" + service + "` is not a service"));
      continue;
    }
    int n = 1;
    r.integer(it.second, path, 1, 16, n);
    out[service] = n;
  }
}

void read_images(Reader& r, const YAML::Node& node, std::map<std::string, std::string>& images) {
  if (!r.mapping(node, "images")) return;
  for (const auto& it : node) {
    std::string service = it.first.Scalar();
    if (!is_known(all_services(), service)) {
      r.problem(it.first, fmt::format("images.{}: `{}` is not a service", shown(service), shown(service)));
      continue;
    }
    std::string image;
    r.string(it.second, "images." + service, image);
    if (image.empty() || image.find_first_of(" \t") != std::string::npos) {
      r.problem(it.second, fmt::format("images.{} must be an image reference like repo:tag", service));
      continue;
    }
    images[service] = image;
  }
}

void read_logs(Reader& r, const YAML::Node& node, LogsSpec& logs) {
  if (!r.mapping(node, "logs")) return;
  r.string(node["max_size"], "logs.max_size", logs.max_size);
  // Docker's json-file driver takes a whole number with an optional unit.
  static const std::regex k_size(R"(^[1-9][0-9]{0,5}[kmg]$)");
  if (!std::regex_match(logs.max_size, k_size)) {
    r.problem(node["max_size"] ? node["max_size"] : node, "logs.max_size must look like 10m (a number and k, m or g)");
  }
  r.integer(node["max_files"], "logs.max_files", 1, 100, logs.max_files);
}

void read_backup(Reader& r, const YAML::Node& node, BackupSpec& backup) {
  if (!r.mapping(node, "backup")) return;
  r.string(node["target"], "backup.target", backup.target);
  // What backup::S3Location::parse accepts: a bucket name and a prefix of key-safe characters.
  static const std::regex k_target(R"(^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._/-]*)?$)");
  if (!backup.target.empty() && !std::regex_match(backup.target, k_target)) {
    r.problem(node["target"], "backup.target must look like s3://bucket/prefix (bucket: a-z, 0-9, '.', '-')");
  }
  r.string(node["credentials"], "backup.credentials", backup.credentials);
  if (!backup.credentials.empty() && backup.credentials.front() != '/') {
    r.problem(node["credentials"], "backup.credentials must be an absolute path");
  }
  r.boolean(node["wal"], "backup.wal", backup.wal);
}

void check_services(Reader& r, const YAML::Node& root, const InstanceSpec& spec) {
  auto need = [&](const char* service, const char* needed) {
    if (spec.enabled(service) && !spec.enabled(needed)) {
      r.problem_key(root, "services", fmt::format("services.{} needs services.{}", service, needed));
    }
  };
  need("studio", "meta");
  need("storage", "rest");
  need("vector", "analytics");
}

}  // namespace

InstanceSpec parse_spec(const std::string& text, const std::string& label) {
  // An instance.yaml is a few kilobytes; a huge one is a mistake or an attack (YAML bombs).
  constexpr std::size_t k_max_spec_bytes = 1 << 20;
  if (text.size() > k_max_spec_bytes) {
    throw Error(fmt::format("{} is {} bytes; an instance.yaml may be at most 1 MiB", label, text.size()),
                ExitCode::usage,
                fmt::format("remove what does not belong in {} (supactl writes a few kilobytes)", label));
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}:{}: {}", label, e.mark.line + 1, e.msg), ExitCode::usage,
                fmt::format("fix the YAML syntax of {}", label));
  }
  Reader r(label);
  InstanceSpec spec;
  if (!root.IsMap()) {
    throw Error(fmt::format("{}:1: the file must be a mapping of settings", label), ExitCode::usage,
                "recreate it with `supactl init NAME`");
  }
  r.mapping(root, "");

  r.string(root["name"], "name", spec.name);
  if (spec.name.empty()) {
    r.problem_at(1, "name is required");
  } else {
    // The name is rendered into every file (project, container and network names): held to
    // the rules of instance names here too, so an archived spec cannot carry anything else.
    try {
      validate_name(spec.name);
    } catch (const Error& e) {
      r.problem(root["name"], fmt::format("name: {}", e.what()));
    }
  }
  r.string(root["release"], "release", spec.release);
  if (spec.release.empty()) r.problem(root["release"], "release must not be empty");
  r.string(root["domain"], "domain", spec.domain);
  if (!valid_hostname(spec.domain)) {
    r.problem(root["domain"], fmt::format("domain `{}` must be a lower-case host name", shown(spec.domain)));
  }
  r.string(root["public_url"], "public_url", spec.public_url);
  if (const std::string why = spec.public_url.empty() ? std::string() : public_url_problem(spec.public_url);
      !why.empty()) {
    r.problem(root["public_url"], why);
  }
  r.string(root["edge"], "edge", spec.edge);
  if (spec.edge != "own" && spec.edge != "shared") {
    r.problem(root["edge"], fmt::format("edge must be `own` or `shared`, not `{}`", shown(spec.edge)));
  } else if (spec.shared_edge() && (spec.domain == "localhost" || spec.domain.find('.') == std::string::npos)) {
    r.problem(root["edge"], "edge: shared needs a domain of the instance's own (set `domain`, e.g. shop.example.com)");
  }
  const YAML::Node engine = root["engine"];
  if (r.mapping(engine, "engine")) {
    r.string(engine["mode"], "engine.mode", spec.engine_mode);
    if (spec.engine_mode != "standalone" && spec.engine_mode != "swarm") {
      r.problem(engine["mode"],
                fmt::format("engine.mode must be `standalone` or `swarm`, not `{}`", shown(spec.engine_mode)));
    }
  }
  const YAML::Node placement = root["placement"];
  if (r.mapping(placement, "placement")) {
    for (const auto& it : placement) {
      const std::string service = it.first.Scalar();
      if (!is_known(all_services(), service)) {
        r.problem(it.first, fmt::format("placement.{}: `{}` is not a service", shown(service), shown(service)));
        continue;
      }
      std::string node;
      r.string(it.second, "placement." + service, node);
      static const std::regex k_node(R"(^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$)");
      if (!std::regex_match(node, k_node)) {
        r.problem(it.second, fmt::format("placement.{} must be a node id or host name", service));
        continue;
      }
      spec.placement[service] = node;
    }
  }
  if (spec.swarm() && spec.shared_edge()) {
    r.problem(root["edge"], "edge: shared is not built for engine.mode: swarm; give the instance its own edge");
  }
  r.string(root["registry"], "registry", spec.registry);
  static const std::regex k_registry(R"(^[a-z0-9.-]+(:[0-9]{1,5})?(/[a-z0-9._/-]+)?$)");
  if (!spec.registry.empty() && !std::regex_match(spec.registry, k_registry)) {
    r.problem(root["registry"], "registry must be HOST[:PORT][/PATH] without a scheme, e.g. 127.0.0.1:5000");
  }
  read_images(r, root["images"], spec.images);
  read_ports(r, root, spec.ports);
  read_services(r, root["services"], spec);
  read_kong(r, root["kong"], spec.kong);
  read_auth(r, root["auth"], spec.auth);

  const YAML::Node rest = root["rest"];
  if (r.mapping(rest, "rest")) {
    r.string_list(rest["schemas"], "rest.schemas", spec.rest.schemas);
    r.integer(rest["max_rows"], "rest.max_rows", 1, 100000000, spec.rest.max_rows);
  }
  read_storage(r, root["storage"], spec.storage);
  read_tls(r, root, spec.tls, spec.domain);
  read_resources(r, root["resources"], spec.resources);
  read_scale(r, root["scale"], spec.scale);

  const YAML::Node wait = root["wait"];
  if (r.mapping(wait, "wait")) r.integer(wait["timeout"], "wait.timeout", 1, 86400, spec.wait.timeout_s);
  read_logs(r, root["logs"], spec.logs);
  read_backup(r, root["backup"], spec.backup);
  const YAML::Node functions = root["functions"];
  if (r.mapping(functions, "functions")) {
    r.boolean(functions["verify_jwt"], "functions.verify_jwt", spec.functions_verify_jwt);
  }
  const YAML::Node db = root["db"];
  if (r.mapping(db, "db")) {
    r.boolean(db["standby"], "db.standby", spec.db_standby);
    r.string(db["primary"], "db.primary", spec.db_primary);
    if (spec.db_primary != "db" && spec.db_primary != "db-standby") {
      r.problem(db["primary"], "db.primary must be db or db-standby (`supactl db failover` sets it)");
    }
    if (spec.swarm() && (spec.db_standby || spec.db_primary != "db")) {
      r.problem(db, "db.standby and db.primary are not built for engine.mode: swarm; remove them from db");
    }
  }
  const YAML::Node overrides = root["overrides"];
  if (r.mapping(overrides, "overrides")) {
    r.boolean(overrides["allow_host_access"], "overrides.allow_host_access", spec.overrides_allow_host_access);
  }
  check_services(r, root, spec);

  if (!r.problems().empty()) {
    std::vector<std::string> sorted = r.problems();
    std::stable_sort(sorted.begin(), sorted.end(), [&](const std::string& a, const std::string& b) {
      auto line = [&](const std::string& s) { return std::stoi(s.substr(label.size() + 1)); };
      return line(a) < line(b);
    });
    throw Error(fmt::format("{}", fmt::join(sorted, "\n")), ExitCode::usage,
                fmt::format("fix {} (every problem is listed above)", label));
  }
  return spec;
}

}  // namespace supactl::config
