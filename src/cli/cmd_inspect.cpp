// SPDX-License-Identifier: Apache-2.0
//
// `supactl inspect db NAME REPORT`: runs one of the read-only SQL reports of
// stack/inspect.cpp in the instance's db container and prints it as an aligned table, or with
// `--output json` as an array of row objects (numbers and booleans typed). An unknown report
// is a usage error that lists the reports, before the instance or the Engine is looked at.
#include "cli/globals.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/stack/db.hpp>
#include <supactl/stack/inspect.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <iostream>

namespace supactl::cli {
namespace {

struct InspectOptions {
  std::string name;
  std::string report;
  std::string database = "postgres";
};

nlohmann::json typed(const std::string& value, stack::ColumnKind kind) {
  if (value.empty() && kind != stack::ColumnKind::text) return nullptr;
  if (kind == stack::ColumnKind::boolean) return value == "t";
  if (kind == stack::ColumnKind::number) {
    if (value.find_first_of(".eE") == std::string::npos) return std::strtoll(value.c_str(), nullptr, 10);
    return std::strtod(value.c_str(), nullptr);
  }
  return value;
}

void print_table(const stack::ReportTable& t) {
  std::vector<size_t> width;
  for (const stack::ReportColumn& c : t.columns) width.push_back(c.name.size());
  for (const std::vector<std::string>& row : t.rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      const bool last = i + 1 == cells.size();
      if (t.columns[i].kind == stack::ColumnKind::number) {
        out += fmt::format("{:>{}}", cells[i], width[i]);
      } else {
        out += last ? cells[i] : fmt::format("{:<{}}", cells[i], width[i]);
      }
      if (!last) out += "  ";
    }
    std::cout << out << "\n";
  };
  std::vector<std::string> header;
  for (const stack::ReportColumn& c : t.columns) header.push_back(c.name);
  line(header);
  for (const std::vector<std::string>& row : t.rows) line(row);
  if (t.rows.empty()) std::cout << "(no rows)\n";
}

int run_inspect_db(const Globals& g, const InspectOptions& o) {
  const stack::DbReport& report = stack::find_db_report(o.report);
  const config::Instance inst = config::load_instance(config::home_dir(g.home), o.name);
  docker::Engine& engine = g.engine();
  const stack::PgTarget target{
      .container = stack::running_primary(engine, inst.name), .user = "supabase_admin", .database = o.database};
  const stack::ReportTable table = stack::run_db_report(engine, target, report);
  if (!g.json()) {
    print_table(table);
    return 0;
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const std::vector<std::string>& row : table.rows) {
    nlohmann::json j = nlohmann::json::object();
    for (size_t i = 0; i < row.size(); ++i) j[table.columns[i].name] = typed(row[i], table.columns[i].kind);
    rows.push_back(std::move(j));
  }
  print_json(rows);
  return 0;
}

std::string report_list() {
  std::string out = "Reports:\n";
  for (const stack::DbReport& r : stack::db_reports()) out += fmt::format("  {:<18} {}\n", r.name, r.summary);
  return out;
}

}  // namespace

void setup_inspect(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<InspectOptions>();
  sub.require_subcommand(1);
  CLI::App* db = sub.add_subcommand("db", "Run a read-only SQL report on the instance's database");
  db->add_option("name", o->name, "Instance name")->required();
  db->add_option("report", o->report, "Report to run (see the list below)");
  db->add_option("-d,--database", o->database, "Database (default postgres)");
  db->footer(report_list());
  set_action(*db, g, [&g, o]() { return run_inspect_db(g, *o); });
}

}  // namespace supactl::cli
