// SPDX-License-Identifier: Apache-2.0
//
// The SQL reports of `supactl inspect db`, written against the PostgreSQL 15 statistics
// views and catalogs (pg_stat_user_tables, pg_statio_*, pg_locks, pg_stat_activity,
// pg_blocking_pids, pg_replication_slots, pg_stats). They only read; each runs as one SELECT
// through stack::query (psql in the db container, unaligned and tab-separated), and query text
// is flattened to one line so a row stays a line. The report's own backend is left out of the
// activity reports.
#include <supactl/stack/inspect.hpp>

#include <supactl/core/error.hpp>

#include <fmt/format.h>

#include <sstream>

namespace supactl::stack {

namespace {

constexpr ColumnKind k_text = ColumnKind::text;
constexpr ColumnKind k_number = ColumnKind::number;
constexpr ColumnKind k_bool = ColumnKind::boolean;

/// Schemas that are Postgres' own.
constexpr const char* k_user_schemas =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'";

/// `query` of pg_stat_activity on one line, at most 100 characters.
constexpr const char* k_flat_query = "left(regexp_replace(coalesce(%s.query, ''), '\\s+', ' ', 'g'), 100)";

std::string flat_query(const std::string& alias) {
  std::string out = k_flat_query;
  out.replace(out.find("%s"), 2, alias);
  return out;
}

std::vector<DbReport> make_reports() {
  std::vector<DbReport> r;
  r.push_back({"table-sizes",
               "Tables by total size on disk (table, its indexes, TOAST)",
               {{"schema", k_text},
                {"table", k_text},
                {"rows_estimate", k_number},
                {"table_bytes", k_number},
                {"index_bytes", k_number},
                {"total_bytes", k_number},
                {"total", k_text}},
               fmt::format("SELECT n.nspname, c.relname, greatest(c.reltuples, 0)::bigint, pg_table_size(c.oid), "
                           "pg_indexes_size(c.oid), pg_total_relation_size(c.oid), "
                           "pg_size_pretty(pg_total_relation_size(c.oid)) "
                           "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                           "WHERE c.relkind IN ('r', 'p', 'm') AND {} "
                           "ORDER BY pg_total_relation_size(c.oid) DESC, 1, 2",
                           k_user_schemas)});
  r.push_back({"index-usage",
               "Indexes by how often they are used (unused ones first) and their size",
               {{"schema", k_text},
                {"table", k_text},
                {"index", k_text},
                {"scans", k_number},
                {"tuples_read", k_number},
                {"unique", k_bool},
                {"bytes", k_number},
                {"size", k_text}},
               "SELECT s.schemaname, s.relname, s.indexrelname, s.idx_scan, s.idx_tup_read, i.indisunique, "
               "pg_relation_size(s.indexrelid), pg_size_pretty(pg_relation_size(s.indexrelid)) "
               "FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid "
               "ORDER BY s.idx_scan, pg_relation_size(s.indexrelid) DESC, 1, 2, 3"});
  r.push_back({"cache-hit",
               "Share of table and index block reads served from shared buffers (aim for 0.99)",
               {{"kind", k_text}, {"hits", k_number}, {"reads", k_number}, {"ratio", k_number}},
               "SELECT 'table', coalesce(sum(heap_blks_hit), 0), coalesce(sum(heap_blks_read), 0), "
               "round(coalesce(sum(heap_blks_hit)::numeric / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0), 1), "
               "4) FROM pg_statio_user_tables "
               "UNION ALL SELECT 'index', coalesce(sum(idx_blks_hit), 0), coalesce(sum(idx_blks_read), 0), "
               "round(coalesce(sum(idx_blks_hit)::numeric / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0), 1), 4) "
               "FROM pg_statio_user_indexes"});
  r.push_back(
      {"bloat",
       "Estimated table bloat: pages on disk against the pages the rows need (from pg_stats)",
       {{"schema", k_text},
        {"table", k_text},
        {"pages", k_number},
        {"expected_pages", k_number},
        {"bloat_ratio", k_number},
        {"wasted_bytes", k_number},
        {"wasted", k_text},
        {"dead_rows", k_number}},
       fmt::format("WITH t AS (SELECT c.oid, n.nspname, c.relname, c.relpages, "
                   "ceil(greatest(c.reltuples, 0) * (28 + coalesce((SELECT sum(s.avg_width) FROM pg_stats s "
                   "WHERE s.schemaname = n.nspname AND s.tablename = c.relname), 0)) "
                   "/ (current_setting('block_size')::int - 24))::bigint AS expected "
                   "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND {}) "
                   "SELECT t.nspname, t.relname, t.relpages, t.expected, "
                   "round(t.relpages::numeric / greatest(t.expected, 1), 2), "
                   "greatest(t.relpages - t.expected, 0) * current_setting('block_size')::bigint, "
                   "pg_size_pretty(greatest(t.relpages - t.expected, 0) * current_setting('block_size')::bigint), "
                   "coalesce(s.n_dead_tup, 0) FROM t LEFT JOIN pg_stat_all_tables s ON s.relid = t.oid "
                   "ORDER BY 6 DESC, 1, 2",
                   k_user_schemas)});
  r.push_back(
      {"locks",
       "Locks held or awaited by other sessions (relation, mode, granted) with their query",
       {{"pid", k_number},
        {"user", k_text},
        {"locktype", k_text},
        {"relation", k_text},
        {"mode", k_text},
        {"granted", k_bool},
        {"state", k_text},
        {"seconds", k_number},
        {"query", k_text}},
       fmt::format(
           "SELECT l.pid, coalesce(a.usename::text, ''), l.locktype, "
           "CASE WHEN c.oid IS NOT NULL THEN n.nspname || '.' || c.relname ELSE coalesce(l.relation::text, '') "
           "END, l.mode, l.granted, coalesce(a.state, ''), "
           "round(extract(epoch FROM now() - coalesce(a.xact_start, a.query_start))::numeric, 1), {} "
           "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
           "LEFT JOIN pg_class c ON c.oid = l.relation AND l.database = "
           "(SELECT oid FROM pg_database WHERE datname = current_database()) "
           "LEFT JOIN pg_namespace n ON n.oid = c.relnamespace "
           "WHERE l.pid IS DISTINCT FROM pg_backend_pid() AND l.locktype <> 'virtualxid' "
           "AND NOT (l.mode = 'AccessShareLock' AND coalesce(n.nspname, '') IN ('pg_catalog', 'information_schema')) "
           "ORDER BY l.granted, 8 DESC, 1, 4",
           flat_query("a"))});
  r.push_back({"blocking",
               "Queries waiting for a lock, and the sessions holding them",
               {{"blocked_pid", k_number},
                {"waiting_seconds", k_number},
                {"blocked_query", k_text},
                {"blocking_pid", k_number},
                {"blocking_state", k_text},
                {"blocking_query", k_text}},
               fmt::format("SELECT w.pid, round(extract(epoch FROM now() - w.query_start)::numeric, 1), {}, h.pid, "
                           "coalesce(h.state, ''), {} FROM pg_stat_activity w "
                           "CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS b(pid) "
                           "JOIN pg_stat_activity h ON h.pid = b.pid ORDER BY 2 DESC, 1, 4",
                           flat_query("w"), flat_query("h"))});
  r.push_back({"long-running",
               "Queries running for more than 5 minutes",
               {{"pid", k_number},
                {"user", k_text},
                {"database", k_text},
                {"state", k_text},
                {"seconds", k_number},
                {"query", k_text}},
               fmt::format("SELECT a.pid, coalesce(a.usename::text, ''), coalesce(a.datname::text, ''), a.state, "
                           "round(extract(epoch FROM now() - a.query_start)::numeric, 1), {} "
                           "FROM pg_stat_activity a WHERE a.pid <> pg_backend_pid() AND a.state <> 'idle' "
                           "AND a.backend_type = 'client backend' AND now() - a.query_start > interval '5 minutes' "
                           "ORDER BY 5 DESC",
                           flat_query("a"))});
  r.push_back({"seq-scans",
               "Tables by number of sequential scans (candidates for an index)",
               {{"schema", k_text},
                {"table", k_text},
                {"seq_scans", k_number},
                {"seq_rows_read", k_number},
                {"index_scans", k_number},
                {"live_rows", k_number}},
               "SELECT schemaname, relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), n_live_tup "
               "FROM pg_stat_user_tables ORDER BY seq_scan DESC, seq_tup_read DESC, 1, 2"});
  r.push_back({"replication-slots",
               "Replication slots, whether they are in use, and the WAL they hold back",
               {{"slot", k_text},
                {"type", k_text},
                {"plugin", k_text},
                {"database", k_text},
                {"active", k_bool},
                {"active_pid", k_number},
                {"retained_wal_bytes", k_number},
                {"wal_status", k_text}},
               "SELECT slot_name, slot_type, coalesce(plugin::text, ''), coalesce(database::text, ''), active, "
               "active_pid, CASE WHEN pg_is_in_recovery() OR restart_lsn IS NULL THEN NULL "
               "ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint END, coalesce(wal_status, '') "
               "FROM pg_replication_slots ORDER BY slot_name"});
  r.push_back({"vacuum-stats",
               "Last (auto)vacuum and analyze per table, dead rows, and whether autovacuum is due",
               {{"schema", k_text},
                {"table", k_text},
                {"last_vacuum", k_text},
                {"last_autovacuum", k_text},
                {"last_analyze", k_text},
                {"last_autoanalyze", k_text},
                {"live_rows", k_number},
                {"dead_rows", k_number},
                {"autovacuum_threshold", k_number},
                {"autovacuum_due", k_bool}},
               "WITH t AS (SELECT s.*, (current_setting('autovacuum_vacuum_threshold')::float8 + "
               "current_setting('autovacuum_vacuum_scale_factor')::float8 * greatest(c.reltuples, 0))::bigint AS th "
               "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid) "
               "SELECT schemaname, relname, "
               "coalesce(to_char(last_vacuum, 'YYYY-MM-DD HH24:MI:SS'), ''), "
               "coalesce(to_char(last_autovacuum, 'YYYY-MM-DD HH24:MI:SS'), ''), "
               "coalesce(to_char(last_analyze, 'YYYY-MM-DD HH24:MI:SS'), ''), "
               "coalesce(to_char(last_autoanalyze, 'YYYY-MM-DD HH24:MI:SS'), ''), "
               "n_live_tup, n_dead_tup, th, n_dead_tup > th FROM t ORDER BY n_dead_tup DESC, 1, 2"});
  return r;
}

}  // namespace

const std::vector<DbReport>& db_reports() {
  static const std::vector<DbReport> k_reports = make_reports();
  return k_reports;
}

const DbReport& find_db_report(const std::string& name) {
  std::string names;
  for (const DbReport& r : db_reports()) {
    if (r.name == name) return r;
    names += (names.empty() ? "" : ", ") + r.name;
  }
  throw Error(name.empty() ? fmt::format("inspect db needs a report: {}", names)
                           : fmt::format("unknown report `{}`; the reports are {}", name, names),
              ExitCode::usage, "run `supactl inspect db NAME REPORT`, e.g. `supactl inspect db shop table-sizes`");
}

std::vector<std::vector<std::string>> parse_unaligned(const std::string& out, size_t columns) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() && columns > 1) continue;
    std::vector<std::string> row;
    size_t start = 0;
    for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
      row.push_back(line.substr(start, tab - start));
    }
    row.push_back(line.substr(start));
    if (row.size() != columns) {
      throw Error(
          fmt::format("unexpected psql output: {} fields where {} were expected in `{}`", row.size(), columns, line));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

ReportTable run_db_report(docker::Engine& engine, const PgTarget& target, const DbReport& report) {
  return ReportTable{.columns = report.columns,
                     .rows = parse_unaligned(query(engine, target, report.sql), report.columns.size())};
}

}  // namespace supactl::stack
