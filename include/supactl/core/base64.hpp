// SPDX-License-Identifier: Apache-2.0
#pragma once

// Base64 (RFC 4648): the standard alphabet (docker config `auth`) and the URL-safe one (JWT
// parts, X-Registry-Auth). The one implementation in supactl.

#include <optional>
#include <string>
#include <string_view>

namespace supactl::core {

enum class Base64Alphabet { standard, url };

/// Encodes `bytes`; with `pad`, the output is '='-padded to a multiple of 4.
std::string base64_encode(std::string_view bytes, Base64Alphabet alphabet, bool pad);

/// Decodes `text` (padding optional); nullopt on a character outside `alphabet` or a length
/// no encoding produces.
std::optional<std::string> base64_decode(std::string_view text, Base64Alphabet alphabet);

}  // namespace supactl::core
