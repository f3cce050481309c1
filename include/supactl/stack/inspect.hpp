// SPDX-License-Identifier: Apache-2.0
#pragma once

// `supactl inspect db`: read-only SQL reports on the Postgres of a stack's db container (table
// and index sizes, cache hit ratios, bloat, locks and blocked queries, long-running queries,
// sequential scans, replication slots, vacuum state), run through stack::query. Each report
// knows its columns and their kinds, so the command line can print an aligned table or JSON.

#include <supactl/docker/engine.hpp>
#include <supactl/stack/db.hpp>

#include <string>
#include <vector>

namespace supactl::stack {

/// How a report column's values are read (for JSON; text shows them as Postgres printed them).
enum class ColumnKind { text, number, boolean };

struct ReportColumn {
  std::string name;
  ColumnKind kind = ColumnKind::text;
};

struct DbReport {
  std::string name;     ///< e.g. "table-sizes"
  std::string summary;  ///< one line for the list of reports
  std::vector<ReportColumn> columns;
  std::string sql;  ///< selects exactly `columns`, in order
};

/// Every report, in the order `supactl inspect db` lists them.
const std::vector<DbReport>& db_reports();

/// The report called `name`. Throws supactl::Error(usage) listing the reports when none is.
const DbReport& find_db_report(const std::string& name);

/// A report's result: rows of values (empty string = NULL), one per column.
struct ReportTable {
  std::vector<ReportColumn> columns;
  std::vector<std::vector<std::string>> rows;
};

/// Runs `report` in target.database through psql. Throws supactl::Error carrying Postgres'
/// error when the query fails.
ReportTable run_db_report(docker::Engine& engine, const PgTarget& target, const DbReport& report);

/// Splits psql's unaligned, tuples-only output (fields separated by a tab, one row a line)
/// into `columns` values per row. Throws supactl::Error(failure) on a row of another width.
std::vector<std::vector<std::string>> parse_unaligned(const std::string& out, size_t columns);

}  // namespace supactl::stack
