-- SPDX-License-Identifier: Apache-2.0
-- supactl: init-scripts/99-roles.sql. Runs once, on the first boot of an empty database, as
-- `postgres`. The image creates the service roles without usable passwords; give each the
-- instance's POSTGRES_PASSWORD, read from the container environment (never from this file).
\set pgpass `echo "$POSTGRES_PASSWORD"`

ALTER USER authenticator WITH PASSWORD :'pgpass';
ALTER USER pgbouncer WITH PASSWORD :'pgpass';
ALTER USER supabase_auth_admin WITH PASSWORD :'pgpass';
ALTER USER supabase_functions_admin WITH PASSWORD :'pgpass';
ALTER USER supabase_storage_admin WITH PASSWORD :'pgpass';
