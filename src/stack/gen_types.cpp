// SPDX-License-Identifier: Apache-2.0
//
// `supactl gen types` (see gen_types.hpp). The request path reaches the container in an
// environment variable, never inside the script text, and schema names are checked to be
// identifiers first, so nothing a user types becomes code or changes the URL's shape.
#include <supactl/stack/gen_types.hpp>

#include <supactl/core/error.hpp>
#include <supactl/stack/db.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <regex>

namespace supactl::stack {

namespace {

/// Fetches http://localhost:$PG_META_PORT$SUPACTL_GEN_PATH; prints the body, or the status
/// and body on stderr with exit 1.
constexpr const char* k_fetch_script =
    "const url = 'http://localhost:' + (process.env.PG_META_PORT || '8080') + process.env.SUPACTL_GEN_PATH;"
    "fetch(url).then(async (r) => { const body = await r.text();"
    " if (r.status !== 200) { process.stderr.write(r.status + ' ' + body); process.exit(1); }"
    " process.stdout.write(body); })"
    ".catch((e) => { process.stderr.write(String(e)); process.exit(1); });";

}  // namespace

const std::vector<std::string>& type_languages() {
  static const std::vector<std::string> k_languages = {"typescript", "go", "swift", "python"};
  return k_languages;
}

std::string generator_path(const std::string& lang, const std::vector<std::string>& schemas) {
  const auto& langs = type_languages();
  if (std::find(langs.begin(), langs.end(), lang) == langs.end()) {
    throw Error(fmt::format("gen types: no generator for `{}`", lang), ExitCode::usage,
                fmt::format("use --lang {}", fmt::join(langs, "|")));
  }
  if (schemas.empty()) {
    throw Error("gen types: no schema given", ExitCode::usage, "use --schema public (or a comma-separated list)");
  }
  static const std::regex k_identifier("^[A-Za-z_][A-Za-z0-9_]{0,62}$");
  for (const std::string& s : schemas) {
    if (!std::regex_match(s, k_identifier)) {
      throw Error(fmt::format("gen types: `{}` is not a schema name", s), ExitCode::usage,
                  "give schema names made of letters, digits and '_', separated by commas");
    }
  }
  return fmt::format("/generators/{}?included_schemas={}", lang, fmt::join(schemas, ","));
}

std::string generate_types(docker::Engine& engine, const std::string& project, const std::string& lang,
                           const std::vector<std::string>& schemas) {
  const std::string path = generator_path(lang, schemas);
  docker::ExecSpec spec;
  spec.cmd = {"node", "-e", k_fetch_script};
  spec.env = {"SUPACTL_GEN_PATH=" + path};
  const docker::ExecResult r = engine.exec(running_container(engine, project, "meta"), spec);
  if (r.exit_code != 0) {
    std::string why = r.err.empty() ? r.out : r.err;
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    throw Error(fmt::format("gen types: postgres-meta of {} could not generate {} types: {}", project, lang, why),
                ExitCode::failure, fmt::format("see `supactl logs {} meta`", project));
  }
  return r.out;
}

}  // namespace supactl::stack
