// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading and changing one key of instance.yaml (`supactl config get|set`), with the loader's
// own key list (spec_key_paths) and validation (parse_spec): a change that the loader would
// refuse is refused before anything is written. The file keeps its text, comments included, with
// only the changed value replaced where that is safe; otherwise it is written in its canonical
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

/// The text to write for instance.yaml `text` changed to `after` at `key`: the same text with
/// only the value on KEY's own line replaced, so comments and order stay, when the key is on a
/// line of its own with an inline value and the loader reads exactly `after` from the result;
/// otherwise the canonical form (format_spec), which keeps no comments of the user's.
std::string set_spec_text(const std::string& text, const std::string& key, const InstanceSpec& after);

}  // namespace supactl::config
