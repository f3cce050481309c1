-- SPDX-License-Identifier: Apache-2.0
-- supactl image kit: what the supabase/postgres image's own init scripts create before the
-- mounted ones run (roles, schemas, extensions, publication). Written for the kit from the
-- documented result, not copied. Runs once, as the bootstrap superuser (supabase_admin), on
-- the first boot of an empty PGDATA. Passwords other than postgres' come from the mounted
-- roles.sql, as upstream.
\set ON_ERROR_STOP 1
\set pgpass `echo "$POSTGRES_PASSWORD"`

-- migrate.sh: postgres, a superuser with POSTGRES_PASSWORD
CREATE ROLE postgres WITH SUPERUSER LOGIN CREATEDB CREATEROLE REPLICATION BYPASSRLS PASSWORD :'pgpass';
ALTER ROLE postgres SET search_path TO "$user", public, extensions;
ALTER ROLE supabase_admin SET search_path TO "$user", public, auth, extensions;

-- 00-schema.sql: pgbouncer and its auth query
CREATE ROLE pgbouncer WITH LOGIN;
CREATE SCHEMA pgbouncer AUTHORIZATION pgbouncer;
CREATE FUNCTION pgbouncer.get_auth(p_usename text)
RETURNS TABLE(username text, password text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog
AS $$
BEGIN
  RAISE DEBUG 'PgBouncer auth request: %', p_usename;
  RETURN QUERY
  SELECT rolname::text, CASE WHEN rolvaliduntil < now() THEN NULL ELSE rolpassword::text END
  FROM pg_authid
  WHERE rolname = p_usename AND rolcanlogin;
END;
$$;
REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO pgbouncer;

-- initial-schema: API roles, authenticator, replication and read-only users
CREATE ROLE anon NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
ALTER ROLE anon SET statement_timeout = '3s';
ALTER ROLE authenticated SET statement_timeout = '8s';
CREATE ROLE authenticator WITH LOGIN NOINHERIT;
GRANT anon, authenticated, service_role TO authenticator;
GRANT supabase_admin TO authenticator;
CREATE ROLE supabase_replication_admin WITH LOGIN REPLICATION;
CREATE ROLE supabase_etl_admin WITH LOGIN REPLICATION;
CREATE ROLE supabase_read_only_user WITH LOGIN BYPASSRLS;
GRANT pg_read_all_data TO supabase_read_only_user;

CREATE SCHEMA IF NOT EXISTS extensions;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
GRANT USAGE ON SCHEMA extensions TO postgres, anon, authenticated, service_role;
GRANT USAGE ON SCHEMA public TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON TABLES TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON FUNCTIONS TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON SEQUENCES TO postgres, anon, authenticated, service_role;
CREATE PUBLICATION supabase_realtime;

-- auth-schema: supabase_auth_admin owns schema auth
CREATE ROLE supabase_auth_admin WITH NOINHERIT CREATEROLE LOGIN NOREPLICATION;
CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION supabase_auth_admin;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role, postgres;
ALTER ROLE supabase_auth_admin SET search_path = auth;

-- storage-schema: supabase_storage_admin owns schema storage
CREATE ROLE supabase_storage_admin WITH NOINHERIT CREATEROLE LOGIN NOREPLICATION;
CREATE SCHEMA IF NOT EXISTS storage AUTHORIZATION supabase_storage_admin;
GRANT USAGE ON SCHEMA storage TO anon, authenticated, service_role, postgres;
GRANT ALL ON SCHEMA storage TO postgres;
ALTER ROLE supabase_storage_admin SET search_path = storage;

-- functions: supabase_functions_admin (webhooks.sql also creates it when missing)
CREATE ROLE supabase_functions_admin WITH NOINHERIT CREATEROLE LOGIN NOREPLICATION;

-- post-setup: dashboard_user
CREATE ROLE dashboard_user WITH NOSUPERUSER CREATEDB CREATEROLE REPLICATION;
GRANT ALL ON DATABASE postgres TO dashboard_user;
GRANT ALL ON SCHEMA auth TO dashboard_user;
GRANT ALL ON SCHEMA extensions TO dashboard_user;
GRANT ALL ON SCHEMA storage TO dashboard_user;
