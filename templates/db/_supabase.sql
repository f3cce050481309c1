-- SPDX-License-Identifier: Apache-2.0
-- supactl: migrations/97-_supabase.sql, run as supabase_admin. Database `_supabase` holds the
-- internal state of the optional services (analytics in _analytics, supavisor in _supavisor),
-- apart from the application database.
\set pguser `echo "${POSTGRES_USER:-supabase_admin}"`

SELECT format('CREATE DATABASE _supabase WITH OWNER %I', :'pguser')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '_supabase')
\gexec
