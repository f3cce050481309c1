// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading and changing one key of instance.yaml (`supactl config get|set`), with the loader's
// own key list (spec_key_paths) and validation (parse_spec): a change that the loader would
// refuse is refused before anything is written, and the file is written back in its canonical
// form (format_spec).

#include <supactl/config/spec.hpp>

#include <string>
#include <vector>

namespace supactl::config {

/// A key's value as `config get` shows it.
struct SpecValue {
  std::string text;  ///< a scalar as written, or a YAML block for a group or a list
  std::string json;  ///< the same as JSON text (numbers and booleans typed)
};

/// Checks that `key` (dotted, e.g. `ports.http`, `services.studio`, `auth.smtp`) names a key
/// of instance.yaml or, when `allow_group`, a group of keys. Throws supactl::Error(usage):
/// for a secret (they live in secrets.env; the hint names `supactl secrets rotate`), or for
/// an unknown key (the message names the keys allowed at that level).
void check_spec_key(const std::string& key, bool allow_group);

/// The value of `key` in `spec` as the loader sees it (defaults included). An empty `key`
/// gives the whole file. Throws supactl::Error(usage) for a key check_spec_key refuses, and
/// Error(not_found) for a `<service>` entry that is not set (e.g. `images.studio`).
SpecValue get_spec_value(const InstanceSpec& spec, const std::string& key);

/// instance.yaml `text` with leaf `key` set to `values` (one value: a scalar, or a list for a
/// list key; several: a list; `[]` alone: an empty list), parsed and checked as the loader
/// does. Throws supactl::Error(usage) with the loader's messages when the result is invalid,
/// for `name` (an instance keeps its name), and for a key check_spec_key refuses.
InstanceSpec set_spec_value(const std::string& text, const std::string& key, const std::vector<std::string>& values);

}  // namespace supactl::config
