// SPDX-License-Identifier: Apache-2.0
#pragma once

// The certificates an instance's Caddy serves, read through the Engine's archive endpoint,
// for the expiry metric of `supactl metrics`.

#include <supactl/docker/engine.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace supactl::stack {

/// Where Caddy keeps the certificates it obtained: <issuer>/<name>/<name>.crt below it.
inline constexpr const char* k_caddy_certificates = "/data/caddy/certificates";

struct Certificate {
  std::string
      issuer;  ///< Caddy's folder of the issuer: "local" (its own CA), "acme-v02.api.letsencrypt.org-directory", ...
  std::string name;         ///< the host name it is for
  int64_t not_after_s = 0;  ///< expiry, Unix time
};

/// The leaf certificates in `container` (a Caddy); empty when it has none yet.
std::vector<Certificate> caddy_certificates(docker::Engine& engine, const std::string& container);

/// The expiry (notAfter) of the first certificate in `pem`, as Unix time; nullopt when `pem`
/// holds no certificate.
std::optional<int64_t> certificate_not_after(const std::string& pem);

}  // namespace supactl::stack
