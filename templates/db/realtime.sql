-- SPDX-License-Identifier: Apache-2.0
-- supactl: migrations/99-realtime.sql, run as supabase_admin. Realtime keeps its tenants and
-- extensions in schema _realtime (it connects with `SET search_path TO _realtime`) and
-- creates its tables there itself; it only needs the schema to exist.
\set pguser `echo "${POSTGRES_USER:-supabase_admin}"`

CREATE SCHEMA IF NOT EXISTS _realtime;
ALTER SCHEMA _realtime OWNER TO :"pguser";
