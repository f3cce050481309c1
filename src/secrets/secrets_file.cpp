// SPDX-License-Identifier: Apache-2.0
//
// The instance's secrets.env: which secrets exist, how each is generated and checked, and the
// KEY=value file that holds them (mode 0600, written atomically). Names are upstream's .env
// names so the file reads like a Supabase self-hosting .env and feeds rendered/.env as is.
#include <supactl/secrets/secrets_file.hpp>

#include <supactl/core/env_value.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/secrets/jwt.hpp>
#include <supactl/secrets/random.hpp>

#include <fmt/format.h>

#include <sys/stat.h>
#include <algorithm>
#include <set>
#include <sstream>

namespace supactl::secrets {

namespace {

enum class Kind { hex, alnum, fixed, api_key, user };

/// How one secret is made and checked. `length` is the generated length and the minimum
/// accepted (or the exact one when `exact`).
struct Generator {
  SecretRule rule;
  Kind kind;
  std::size_t length;
  bool exact;
  const char* fixed;  ///< the value for Kind::fixed, the role for Kind::api_key
};

const std::vector<Generator>& generators() {
  static const std::vector<Generator> table = {
      {{"POSTGRES_PASSWORD", "password of postgres, supabase_admin and the service roles", false},
       Kind::hex,
       32,
       false,
       nullptr},
      {{"JWT_SECRET", "HS256 key of every JWT (used as raw bytes)", false}, Kind::alnum, 48, false, nullptr},
      {{"ANON_KEY", "API key with role anon (HS256 JWT)", false}, Kind::api_key, 0, false, "anon"},
      {{"SERVICE_ROLE_KEY", "API key with role service_role (HS256 JWT)", false},
       Kind::api_key,
       0,
       false,
       "service_role"},
      {{"DASHBOARD_USERNAME", "Studio basic-auth user", false}, Kind::fixed, 1, false, "supabase"},
      {{"DASHBOARD_PASSWORD", "Studio basic-auth password", false}, Kind::hex, 32, false, nullptr},
      {{"SECRET_KEY_BASE", "Phoenix signing key of realtime and supavisor", false}, Kind::alnum, 64, false, nullptr},
      {{"VAULT_ENC_KEY", "supavisor vault key (exactly 32 characters)", false}, Kind::hex, 32, true, nullptr},
      {{"PG_META_CRYPTO_KEY", "key shared by studio and postgres-meta", false}, Kind::alnum, 32, false, nullptr},
      {{"REALTIME_DB_ENC_KEY", "realtime AES key (exactly 16 characters)", false}, Kind::hex, 16, true, nullptr},
      {{"LOGFLARE_PUBLIC_ACCESS_TOKEN", "analytics ingestion token", false}, Kind::alnum, 40, false, nullptr},
      {{"LOGFLARE_PRIVATE_ACCESS_TOKEN", "analytics management token", false}, Kind::alnum, 40, false, nullptr},
      {{"MINIO_ROOT_USER", "MinIO root user (storage's S3 access key)", false}, Kind::fixed, 3, false, "supa-storage"},
      {{"MINIO_ROOT_PASSWORD", "MinIO root password (storage's S3 secret key)", false}, Kind::hex, 32, false, nullptr},
      {{"S3_PROTOCOL_ACCESS_KEY_ID", "access key of /storage/v1/s3", false}, Kind::hex, 32, false, nullptr},
      {{"S3_PROTOCOL_ACCESS_KEY_SECRET", "secret key of /storage/v1/s3", false}, Kind::hex, 64, false, nullptr},
      {{"DB_REPLICATION_PASSWORD", "password of supactl_replicator, the db standby's replication role", true},
       Kind::hex,
       32,
       false,
       nullptr},
      {{"SMTP_PASS", "SMTP password of auth (set it yourself)", true}, Kind::user, 0, false, nullptr},
      {{"GOOGLE_SECRET", "Google OAuth client secret (set it yourself)", true}, Kind::user, 0, false, nullptr},
      {{"GITHUB_SECRET", "GitHub OAuth client secret (set it yourself)", true}, Kind::user, 0, false, nullptr},
      {{"AZURE_SECRET", "Azure OAuth client secret (set it yourself)", true}, Kind::user, 0, false, nullptr},
      {{"OPENAI_API_KEY", "Studio's AI assistant key (set it yourself)", true}, Kind::user, 0, false, nullptr},
  };
  return table;
}

std::string generate_one(const Generator& g, const Secrets& so_far, std::int64_t now) {
  switch (g.kind) {
    case Kind::hex: return random_hex(g.length);
    case Kind::alnum: return random_alnum(g.length);
    case Kind::fixed: return g.fixed;
    case Kind::user: return {};
    case Kind::api_key: {
      auto it = so_far.find("JWT_SECRET");
      if (it == so_far.end() || it->second.empty()) {
        throw Error(fmt::format("cannot make {} without JWT_SECRET", g.rule.name), ExitCode::failure,
                    "set JWT_SECRET in secrets.env (or remove both API keys to regenerate them)");
      }
      return make_api_key(g.fixed, it->second.reveal(), now);
    }
  }
  return {};
}

}  // namespace

const std::vector<SecretRule>& secret_rules() {
  static const std::vector<SecretRule> rules = [] {
    std::vector<SecretRule> out;
    for (const Generator& g : generators()) out.push_back(g.rule);
    return out;
  }();
  return rules;
}

Secrets generate_secrets(std::int64_t now) {
  Secrets out;
  add_missing_secrets(out, now);
  return out;
}

std::vector<std::string> add_missing_secrets(Secrets& secrets, std::int64_t now) {
  std::vector<std::string> added;
  for (const Generator& g : generators()) {
    if (secrets.count(g.rule.name) != 0) continue;
    secrets.emplace(g.rule.name, Secret(generate_one(g, secrets, now)));
    added.emplace_back(g.rule.name);
  }
  return added;
}

std::vector<std::string> check_secrets(const Secrets& secrets, std::int64_t now) {
  std::vector<std::string> problems;
  for (const Generator& g : generators()) {
    auto it = secrets.find(g.rule.name);
    if (it == secrets.end()) {
      if (!g.rule.optional) problems.push_back(fmt::format("{} is missing", g.rule.name));
      continue;
    }
    const std::string& value = it->second.reveal();
    if (value.find_first_of("\r\n") != std::string::npos) {
      problems.push_back(fmt::format("{} must not contain a line break", g.rule.name));
    }
    if (g.rule.optional) continue;
    if (value.empty()) {
      problems.push_back(fmt::format("{} is empty", g.rule.name));
    } else if (g.exact && value.size() != g.length) {
      problems.push_back(
          fmt::format("{} must be exactly {} characters (it has {})", g.rule.name, g.length, value.size()));
    } else if (!g.exact && value.size() < g.length && g.kind != Kind::fixed) {
      problems.push_back(
          fmt::format("{} must be at least {} characters (it has {})", g.rule.name, g.length, value.size()));
    } else if (g.kind == Kind::api_key) {
      auto secret = secrets.find("JWT_SECRET");
      if (secret == secrets.end()) continue;
      std::optional<nlohmann::json> claims = verify_hs256(value, secret->second.reveal(), now);
      if (!claims) {
        problems.push_back(
            fmt::format("{} does not verify against JWT_SECRET (bad signature, format or expired)", g.rule.name));
      } else if (claims->value("role", "") != g.fixed) {
        problems.push_back(
            fmt::format("{} carries role `{}` instead of `{}`", g.rule.name, claims->value("role", ""), g.fixed));
      }
    }
  }
  return problems;
}

std::string format_secrets_env(const Secrets& secrets) {
  std::string out =
      "# supactl instance secrets (upstream .env names). Mode 0600; never commit this file.\n"
      "# Changing POSTGRES_PASSWORD after the first `up` does not change the database roles.\n";
  std::set<std::string> written;
  for (const Generator& g : generators()) {
    auto it = secrets.find(g.rule.name);
    if (it == secrets.end()) continue;
    out += fmt::format("# {}\n{}={}\n", g.rule.description, it->first, core::env_quote(it->second.reveal()));
    written.insert(it->first);
  }
  for (const auto& [name, value] : secrets) {
    if (written.count(name) == 0) out += fmt::format("{}={}\n", name, core::env_quote(value.reveal()));
  }
  return out;
}

Secrets parse_secrets_env(const std::string& content, const std::string& label) {
  Secrets out;
  std::istringstream in(content);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    std::size_t eq = line.find('=');
    std::string key = eq == std::string::npos ? "" : line.substr(start, eq - start);
    if (key.rfind("export ", 0) == 0) key = key.substr(7);
    bool valid = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
    if (!valid) {
      throw Error(fmt::format("{}:{}: expected KEY=value", label, number), ExitCode::usage,
                  fmt::format("fix or remove line {} of {}", number, label));
    }
    out[key] = Secret(core::env_unquote(line.substr(eq + 1)));
  }
  return out;
}

void write_secrets_file(const std::filesystem::path& path, const Secrets& secrets) {
  core::write_file_atomic(path, format_secrets_env(secrets), 0600);
}

Secrets read_secrets_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw Error(fmt::format("{} is missing", path.string()), ExitCode::not_found,
                "restore it from a backup; a new one would not match the existing database");
  }
  refuse_if_others_may_read(path);
  return parse_secrets_env(core::read_file(path), path.filename().string());
}

void refuse_if_others_may_read(const std::filesystem::path& path) {
  // Like ssh with a private key: a secrets file others may read is refused, not used.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    throw Error(fmt::format("{} is readable by other users (mode {:04o}); its secrets may have leaked", path.string(),
                            st.st_mode & 07777),
                ExitCode::usage, fmt::format("chmod 600 {} (and rotate what others may have read)", path.string()));
  }
}

}  // namespace supactl::secrets
