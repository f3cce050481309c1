// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>

namespace supactl::secrets {

/// `count` bytes from OpenSSL's CSPRNG (`RAND_bytes`). Throws supactl::Error if it fails.
std::string random_bytes(std::size_t count);

/// `chars` lower-case hex digits (each from half a random byte), e.g. random_hex(32).
std::string random_hex(std::size_t chars);

/// `chars` characters from [A-Za-z0-9], uniformly (rejection sampling, no modulo bias). Safe
/// unquoted in URLs, `.env` files, YAML and shell words.
std::string random_alnum(std::size_t chars);

}  // namespace supactl::secrets
