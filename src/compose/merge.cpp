// SPDX-License-Identifier: Apache-2.0
//
// Merging compose.override.yml (and further files) into compose.yml the way docker compose
// does (compose-go's override package): a later file's service mappings merge key by key,
// scalars replace, sequences append without duplicates, and a few keys have their own rule.
// The `!reset` and `!override` tags let an override remove or wholesale replace a value.
// Rules are chosen by the dotted path of the value, with `*` for user-chosen names.

#include "compose/merge.hpp"

#include "compose/values.hpp"

#include <algorithm>

namespace supactl::compose::detail {
namespace {

/// `K=V` (or `K`) list items into a mapping; `K` alone maps to `null_value`.
void list_to_mapping(Node& node, bool empty_string_for_missing) {
  if (!node.is_sequence()) return;
  Node map = Node::make_mapping(node.where);
  map.tag = node.tag;
  for (const Node& item : node.items) {
    if (!item.is_scalar()) return;  // wrong type: left for the typing pass to report
    size_t eq = item.scalar.find('=');
    Node value = eq == std::string::npos ? (empty_string_for_missing ? Node::make_scalar("", item.where) : Node{})
                                         : Node::make_scalar(item.scalar.substr(eq + 1), item.where);
    value.where = item.where;
    map.set(item.scalar.substr(0, eq), std::move(value));
  }
  node = std::move(map);
}

/// `[a, b]` into `{a: <empty>, b: <empty>}` (an empty mapping or null per `as_mapping`).
void names_to_mapping(Node& node, bool as_mapping) {
  if (!node.is_sequence()) return;
  Node map = Node::make_mapping(node.where);
  map.tag = node.tag;
  for (const Node& item : node.items) {
    if (!item.is_scalar()) return;
    Node value = as_mapping ? Node::make_mapping(item.where) : Node{};
    value.where = item.where;
    map.set(item.scalar, std::move(value));
  }
  node = std::move(map);
}

void normalize_labels_of(Node* section) {
  if (section == nullptr || !section->is_mapping()) return;
  for (Node& entry : section->items) {
    if (Node* labels = entry.is_mapping() ? entry.find("labels") : nullptr) list_to_mapping(*labels, true);
  }
}

void append_unique(Node& base, const Node& extra) {
  for (const Node& item : extra.items) {
    if (std::find(base.items.begin(), base.items.end(), item) == base.items.end()) base.items.push_back(item);
  }
}

void merge_volumes(Node& base, const Node& extra) {
  for (const Node& item : extra.items) {
    std::string target = volume_target(item);
    auto same = std::find_if(base.items.begin(), base.items.end(), [&](const Node& existing) {
      return !target.empty() && volume_target(existing) == target;
    });
    if (same != base.items.end()) {
      *same = item;
    } else {
      base.items.push_back(item);
    }
  }
}

bool replaced_whole(const std::string& path) {
  return path == "services.*.command" || path == "services.*.entrypoint" || path == "services.*.healthcheck.test";
}

void merge_mapping(Node& base, const Node& extra, const std::string& path);

void merge_value(Node& base, const Node& extra, const std::string& path) {
  if (extra.tag == "!override" || replaced_whole(path)) {
    base = extra;
    base.tag.clear();
    strip_resets(base);
  } else if (path == "services.*.volumes" && base.is_sequence() && extra.is_sequence()) {
    merge_volumes(base, extra);
  } else if (base.is_mapping() && extra.is_mapping()) {
    merge_mapping(base, extra, path);
  } else if (base.is_sequence() && extra.is_sequence()) {
    append_unique(base, extra);
  } else if (extra.is_null() && path == "services.*.networks.*") {
    // `networks: [backend]` in an override keeps the aliases declared earlier.
  } else {
    base = extra;
    strip_resets(base);
  }
}

void merge_mapping(Node& base, const Node& extra, const std::string& path) {
  for (size_t i = 0; i < extra.keys.size(); ++i) {
    const std::string& key = extra.keys[i];
    const Node& value = extra.items[i];
    // Names chosen by the user (services, networks, ...) are `*` in rule paths.
    bool named = path == "services" || path == "networks" || path == "volumes" || path == "services.*.networks" ||
                 path == "services.*.depends_on";
    std::string child = path.empty() ? key : path + "." + (named ? "*" : key);
    if (value.tag == "!reset") {
      base.erase(key);
      continue;
    }
    Node* existing = base.find(key);
    if (existing == nullptr) {
      Node copy = value;
      copy.tag.clear();
      strip_resets(copy);
      base.set(key, std::move(copy));
    } else {
      merge_value(*existing, value, child);
    }
  }
}

}  // namespace

void normalize_file(Node& root) {
  if (!root.is_mapping()) return;
  if (Node* services = root.find("services"); services != nullptr && services->is_mapping()) {
    for (Node& service : services->items) {
      if (!service.is_mapping()) continue;
      if (Node* env = service.find("environment")) list_to_mapping(*env, false);
      if (Node* labels = service.find("labels")) list_to_mapping(*labels, true);
      if (Node* deps = service.find("depends_on")) names_to_mapping(*deps, true);
      if (Node* networks = service.find("networks")) names_to_mapping(*networks, false);
    }
  }
  normalize_labels_of(root.find("networks"));
  normalize_labels_of(root.find("volumes"));
}

void strip_resets(Node& node) {
  for (size_t i = node.items.size(); i-- > 0;) {
    if (node.items[i].tag == "!reset") {
      node.items.erase(node.items.begin() + static_cast<std::ptrdiff_t>(i));
      if (node.is_mapping()) node.keys.erase(node.keys.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      strip_resets(node.items[i]);
    }
  }
}

void merge_into(Node& base, const Node& override_file) {
  if (override_file.is_null()) return;
  if (base.is_null()) {
    base = override_file;
    strip_resets(base);
    return;
  }
  merge_value(base, override_file, "");
}

std::string volume_target(const Node& entry) {
  if (entry.is_mapping()) {
    const Node* target = entry.find("target");
    return target != nullptr && target->is_scalar() ? target->scalar : std::string{};
  }
  if (!entry.is_scalar()) return {};
  std::vector<std::string> parts = split(entry.scalar, ':');
  return parts.size() == 1 ? parts[0] : parts[1];
}

}  // namespace supactl::compose::detail
