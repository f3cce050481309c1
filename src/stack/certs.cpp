// SPDX-License-Identifier: Apache-2.0
//
// Caddy's certificates and their expiry: one archive read of its certificates folder, each
// `.crt` parsed with OpenSSL. Caddy renews ahead of expiry by itself; the expiry is exported
// so an alert can catch a renewal that keeps failing.
#include <supactl/stack/certs.hpp>

#include <supactl/docker/tar.hpp>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

namespace supactl::stack {

std::optional<int64_t> certificate_not_after(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return std::nullopt;
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) return std::nullopt;
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

std::vector<Certificate> caddy_certificates(docker::Engine& engine, const std::string& container) {
  std::string tar;
  try {
    engine.get_archive(container, k_caddy_certificates, [&](std::string_view chunk) { tar.append(chunk); });
  } catch (const docker::EngineError& e) {
    if (e.kind() == docker::ErrorKind::not_found) return {};  // no certificate obtained yet
    throw;
  }
  std::vector<Certificate> out;
  for (const docker::TarFile& f : docker::files_in_tar(tar)) {
    // certificates/<issuer>/<name>/<name>.crt
    const std::string& p = f.path;
    if (p.size() < 4 || p.compare(p.size() - 4, 4, ".crt") != 0) continue;
    const size_t name_end = p.rfind('/');
    const size_t name_start = name_end == std::string::npos ? std::string::npos : p.rfind('/', name_end - 1);
    const size_t issuer_start =
        name_start == std::string::npos || name_start == 0 ? std::string::npos : p.rfind('/', name_start - 1);
    if (issuer_start == std::string::npos) continue;
    const std::optional<int64_t> not_after = certificate_not_after(f.content);
    if (!not_after) continue;
    out.push_back({.issuer = p.substr(issuer_start + 1, name_start - issuer_start - 1),
                   .name = p.substr(name_start + 1, name_end - name_start - 1),
                   .not_after_s = *not_after});
  }
  return out;
}

}  // namespace supactl::stack
