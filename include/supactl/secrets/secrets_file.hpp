// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <supactl/secrets/secret.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace supactl::secrets {

/// An instance's secrets by upstream variable name (POSTGRES_PASSWORD, JWT_SECRET, ANON_KEY,
/// ...). These names are also the compose interpolation variables of rendered/.env.
using Secrets = std::map<std::string, Secret>;

/// One secret the instance needs: its name, how long a generated value is and whether it may
/// be empty (user-provided values such as SMTP_PASS).
struct SecretRule {
  const char* name;
  const char* description;
  bool optional;  ///< may be empty; generated empty
};

/// Every secret supactl knows, in the order secrets.env lists them.
const std::vector<SecretRule>& secret_rules();

/// A complete, fresh set: random passwords and keys from OpenSSL, and ANON_KEY /
/// SERVICE_ROLE_KEY signed with the new JWT_SECRET at `now` (seconds since the epoch).
Secrets generate_secrets(std::int64_t now);

/// Adds every secret of secret_rules() that `secrets` lacks (a newer supactl may need more);
/// existing values are never changed. Returns the names added.
std::vector<std::string> add_missing_secrets(Secrets& secrets, std::int64_t now);

/// Problems with `secrets`, one sentence each: a required one missing or empty, a length
/// rule broken (VAULT_ENC_KEY exactly 32, REALTIME_DB_ENC_KEY exactly 16, JWT_SECRET at least
/// 32, ...), an API key that does not verify against JWT_SECRET or carries the wrong role.
std::vector<std::string> check_secrets(const Secrets& secrets, std::int64_t now);

/// `KEY=value` lines, in secret_rules() order then any other names sorted, under a comment
/// header. Values are written unquoted; they never hold a newline.
std::string format_secrets_env(const Secrets& secrets);

/// Parses `KEY=value` lines (blank lines and `#` comments skipped, one pair of surrounding
/// quotes removed). Throws supactl::Error(ExitCode::usage) naming `label:line` on a bad line.
Secrets parse_secrets_env(const std::string& content, const std::string& label);

/// Writes secrets.env atomically with mode 0600.
void write_secrets_file(const std::filesystem::path& path, const Secrets& secrets);

/// Reads secrets.env. Throws supactl::Error (not_found when missing, with a hint).
Secrets read_secrets_file(const std::filesystem::path& path);

/// Throws supactl::Error(usage) naming `chmod 600` when users other than the owner may read or
/// write the file at `path` (mode bits 077), as ssh does with a private key.
void refuse_if_others_may_read(const std::filesystem::path& path);

}  // namespace supactl::secrets
