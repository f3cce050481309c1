// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace supactl::secrets {

/// Lifetime of the generated API keys: five years, like upstream's generator.
inline constexpr std::int64_t k_api_key_lifetime_s = 5LL * 365 * 24 * 3600;

/// base64url without padding (RFC 7515 §2).
std::string base64url_encode(std::string_view bytes);

/// Inverse of base64url_encode (padding tolerated). Returns nullopt on a character outside
/// the alphabet or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

/// A compact HS256 JWT: header `{"alg":"HS256","typ":"JWT"}`, payload `claims` (serialised
/// compactly, keys in `claims`' order), signature HMAC-SHA256 over `header.payload` keyed with
/// the raw bytes of `secret` (not hex- or base64-decoded, as every Supabase service expects).
std::string sign_hs256(const nlohmann::ordered_json& claims, std::string_view secret);

/// Verifies `token` against `secret`: three parts, an HS256 header, a valid signature
/// (constant-time compare) and, when the payload has `exp`, `exp > now`. Returns the payload,
/// or nullopt when any check fails.
std::optional<nlohmann::json> verify_hs256(std::string_view token, std::string_view secret, std::int64_t now);

/// A Supabase API key (ANON_KEY, SERVICE_ROLE_KEY): claims `role`, `iss` "supabase", `iat`
/// `issued_at` and `exp` = `issued_at` + k_api_key_lifetime_s, signed with `jwt_secret`.
std::string make_api_key(std::string_view role, std::string_view jwt_secret, std::int64_t issued_at);

}  // namespace supactl::secrets
