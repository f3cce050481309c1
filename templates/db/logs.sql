-- SPDX-License-Identifier: Apache-2.0
-- supactl: migrations/99-logs.sql, run as supabase_admin. Schema for analytics (Logflare's
-- Postgres backend) in database _supabase; Logflare creates its tables itself.
\set pguser `echo "${POSTGRES_USER:-supabase_admin}"`

\c _supabase
CREATE SCHEMA IF NOT EXISTS _analytics;
ALTER SCHEMA _analytics OWNER TO :"pguser";
\c postgres
