// SPDX-License-Identifier: Apache-2.0
#pragma once

// `supactl gen types`: type definitions of a database's schemas, made by the instance's own
// postgres-meta (its /generators/<lang> routes, as the Supabase CLI uses them for hosted
// projects). The request runs inside the meta container with its Node.js, since the image has
// no curl or wget and meta publishes no port.

#include <supactl/docker/engine.hpp>

#include <string>
#include <vector>

namespace supactl::stack {

/// The languages postgres-meta generates: typescript, go, swift, python.
const std::vector<std::string>& type_languages();

/// The meta request path for `lang` and `schemas`, e.g.
/// "/generators/typescript?included_schemas=public,auth". Throws supactl::Error(usage) naming
/// the fix for an unknown language, no schema, or a schema name that is not an identifier.
std::string generator_path(const std::string& lang, const std::vector<std::string>& schemas);

/// Runs the generator in the running meta container of `project` and returns its output.
/// Throws supactl::Error: not_found when meta is not running, failure with meta's answer when
/// the generator fails.
std::string generate_types(docker::Engine& engine, const std::string& project, const std::string& lang,
                           const std::vector<std::string>& schemas);

}  // namespace supactl::stack
