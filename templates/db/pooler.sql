-- SPDX-License-Identifier: Apache-2.0
-- supactl: migrations/99-pooler.sql, run as supabase_admin. Schema for supavisor's tenants and
-- users in database _supabase; supavisor's own migrations fill it.
\set pguser `echo "${POSTGRES_USER:-supabase_admin}"`

\c _supabase
CREATE SCHEMA IF NOT EXISTS _supavisor;
ALTER SCHEMA _supavisor OWNER TO :"pguser";
\c postgres
