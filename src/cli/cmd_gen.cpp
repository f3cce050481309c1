// SPDX-License-Identifier: Apache-2.0
//
// `supactl gen types NAME [--lang typescript] [--schema public,...]`: prints the types the
// instance's postgres-meta generates for those schemas (stack/gen_types.hpp), ready to be
// redirected into a file (`> src/database.types.ts`). With `--output json` the text is the
// `types` field. The language and schemas are checked before the instance or the Engine is
// looked at.
#include "cli/globals.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/stack/gen_types.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

namespace supactl::cli {
namespace {

struct GenOptions {
  std::string name;
  std::string lang = "typescript";
  std::vector<std::string> schemas = {"public"};
};

int run_gen_types(const Globals& g, const GenOptions& o) {
  (void)stack::generator_path(o.lang, o.schemas);  // bad input fails before anything else
  const config::Instance inst = config::load_instance(config::home_dir(g.home), o.name);
  const std::string types = stack::generate_types(g.engine(), inst.name, o.lang, o.schemas);
  if (g.json()) {
    print_json({{"instance", inst.name}, {"lang", o.lang}, {"schemas", o.schemas}, {"types", types}});
  } else {
    std::cout << types;
    if (!types.empty() && types.back() != '\n') std::cout << "\n";
  }
  return 0;
}

}  // namespace

void setup_gen(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<GenOptions>();
  sub.require_subcommand(1);
  CLI::App* types = sub.add_subcommand("types", "Print the types postgres-meta generates for the instance's schemas");
  types->add_option("name", o->name, "Instance name")->required();
  types->add_option("--lang", o->lang,
                    fmt::format("Language: {} (default typescript)", fmt::join(stack::type_languages(), ", ")));
  types->add_option("--schema", o->schemas, "Schemas to include, comma-separated (default public)")->delimiter(',');
  set_action(*types, g, [&g, o]() { return run_gen_types(g, *o); });
}

}  // namespace supactl::cli
