// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <fmt/format.h>

#include <ostream>
#include <string>
#include <string_view>

namespace supactl::secrets {

/// A secret value (password, key, token). It has no implicit conversion to a string and prints
/// as `<redacted>` through fmt, spdlog and iostreams, so it cannot end up in a log by accident;
/// `reveal()` must be called, visibly, where the clear value is really needed.
class Secret {
 public:
  Secret() = default;
  /// Wraps `value`.
  explicit Secret(std::string value) : m_value(std::move(value)) {}

  /// The clear value. Call only where the value is written to its destination.
  const std::string& reveal() const noexcept { return m_value; }
  /// True when the value is the empty string (an optional secret the user has not set).
  bool empty() const noexcept { return m_value.empty(); }

  friend bool operator==(const Secret& a, const Secret& b) { return a.m_value == b.m_value; }

 private:
  std::string m_value;
};

/// What every printer shows instead of a secret.
inline constexpr std::string_view k_redacted = "<redacted>";

/// iostream printing (GoogleTest uses it): never the value.
inline std::ostream& operator<<(std::ostream& out, const Secret&) { return out << k_redacted; }

}  // namespace supactl::secrets

/// fmt / spdlog printing: never the value.
template <>
struct fmt::formatter<supactl::secrets::Secret> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const supactl::secrets::Secret&, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(supactl::secrets::k_redacted, ctx);
  }
};
