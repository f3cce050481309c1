// SPDX-License-Identifier: Apache-2.0
#pragma once

// Override merging with compose's rules, on interpolated trees.

#include "compose/tree.hpp"

#include <string>

namespace supactl::compose::detail {

/// Rewrites the list forms that compose merges by key into mappings: service `environment`,
/// `labels`, `depends_on`, `networks`, and network/volume `labels`. Done on every file before
/// merging, so a list in one file and a map in another still merge by key.
void normalize_file(Node& root);

/// Drops every value tagged `!reset` (a first file may use them too).
void strip_resets(Node& node);

/// Merges `override_file` into `base`: mappings key by key, scalars replaced, lists appended
/// without duplicates, service volumes by target path, `command`, `entrypoint` and
/// `healthcheck.test` replaced, `!reset` removes a key and `!override` replaces a whole value.
void merge_into(Node& base, const Node& override_file);

/// The container path of a service `volumes` entry (short or long syntax); empty if unknown.
std::string volume_target(const Node& entry);

}  // namespace supactl::compose::detail
