// SPDX-License-Identifier: Apache-2.0
#pragma once

// Compose's variable interpolation: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?message}, ${VAR?message}, ${VAR:+alt}, ${VAR+alt}, nested defaults and `$$` escapes.

#include "compose/tree.hpp"

#include <map>
#include <set>
#include <stdexcept>
#include <string>

namespace supactl::compose::detail {

using Variables = std::map<std::string, std::string>;

/// A bad template or a `${VAR:?message}` whose variable is missing.
class InterpolationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Expands `text`. Names of variables that were used but unset (and had no default) are added
/// to `unset`. Throws InterpolationError.
std::string interpolate(const std::string& text, const Variables& variables, std::set<std::string>& unset);

/// Interpolates every scalar value (not mapping keys) of `node` in place, reporting errors at
/// the scalar's line and one warning per unset variable.
void interpolate_tree(Node& node, const Variables& variables, Diagnostics& diagnostics);

}  // namespace supactl::compose::detail
