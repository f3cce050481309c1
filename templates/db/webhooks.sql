-- SPDX-License-Identifier: Apache-2.0
-- supactl: init-scripts/98-webhooks.sql, run once as `postgres` while it is still a superuser.
-- Database webhooks: schema supabase_functions, its owner role, an audit table of fired hooks
-- and the trigger function supabase_functions.http_request(url, method, headers, params,
-- timeout_ms) that sends row changes with pg_net. A database without pg_net still
-- initialises: the objects are created, and the function explains what is missing when fired.
BEGIN;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_net') THEN
    CREATE EXTENSION IF NOT EXISTS pg_net SCHEMA extensions;
  ELSE
    RAISE NOTICE 'pg_net is not installed: database webhooks will not send requests';
  END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS supabase_functions AUTHORIZATION supabase_admin;
GRANT USAGE ON SCHEMA supabase_functions TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA supabase_functions GRANT ALL ON TABLES TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA supabase_functions GRANT ALL ON FUNCTIONS TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA supabase_functions GRANT ALL ON SEQUENCES TO postgres, anon, authenticated, service_role;

-- Which of these migrations ran (shared with later supabase tooling).
CREATE TABLE IF NOT EXISTS supabase_functions.migrations (
  version text PRIMARY KEY,
  inserted_at timestamptz NOT NULL DEFAULT now()
);

-- One row per fired hook, with pg_net's request id to find the response.
CREATE TABLE IF NOT EXISTS supabase_functions.hooks (
  id bigserial PRIMARY KEY,
  hook_table_id integer NOT NULL,
  hook_name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  request_id bigint
);
CREATE INDEX IF NOT EXISTS supabase_functions_hooks_request_id_idx
  ON supabase_functions.hooks USING btree (request_id);
CREATE INDEX IF NOT EXISTS supabase_functions_hooks_h_table_id_h_name_idx
  ON supabase_functions.hooks USING btree (hook_table_id, hook_name);
COMMENT ON TABLE supabase_functions.hooks IS 'Audit trail of fired database webhooks.';

-- Calls into pg_net go through EXECUTE so the function compiles without it. It runs as its
-- owner (SECURITY DEFINER) with a fixed search_path: a hook fired by a write of
-- supabase_auth_admin (auth.users) or supabase_storage_admin (storage.objects), which have no
-- rights on net, still sends its request instead of failing the write, and no caller's
-- search_path can substitute objects it calls.
CREATE OR REPLACE FUNCTION supabase_functions.http_request()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = supabase_functions, pg_temp
AS $fn$
DECLARE
  target_url text := TG_ARGV[0];
  http_method text := TG_ARGV[1];
  request_headers jsonb := '{"Content-Type": "application/json"}'::jsonb;
  query_params jsonb := '{}'::jsonb;
  timeout_ms integer := 1000;
  body jsonb;
  request_id bigint;
BEGIN
  IF target_url IS NULL OR target_url = 'null' THEN
    RAISE EXCEPTION 'supabase_functions.http_request: the url argument is missing';
  END IF;
  IF http_method IS NULL OR http_method = 'null' THEN
    RAISE EXCEPTION 'supabase_functions.http_request: the method argument is missing';
  END IF;
  IF TG_ARGV[2] IS NOT NULL AND TG_ARGV[2] <> 'null' THEN
    request_headers := TG_ARGV[2]::jsonb;
  END IF;
  IF TG_ARGV[3] IS NOT NULL AND TG_ARGV[3] <> 'null' THEN
    query_params := TG_ARGV[3]::jsonb;
  END IF;
  IF TG_ARGV[4] IS NOT NULL AND TG_ARGV[4] <> 'null' THEN
    timeout_ms := TG_ARGV[4]::integer;
  END IF;
  IF to_regnamespace('net') IS NULL THEN
    RAISE EXCEPTION 'supabase_functions.http_request: the pg_net extension is not installed';
  END IF;

  IF http_method = 'GET' THEN
    EXECUTE 'SELECT net.http_get($1, $2, $3, $4)'
      INTO request_id USING target_url, query_params, request_headers, timeout_ms;
  ELSIF http_method = 'POST' THEN
    body := jsonb_build_object(
      'old_record', OLD, 'record', NEW, 'type', TG_OP,
      'table', TG_TABLE_NAME, 'schema', TG_TABLE_SCHEMA);
    EXECUTE 'SELECT net.http_post($1, $2, $3, $4, $5)'
      INTO request_id USING target_url, body, query_params, request_headers, timeout_ms;
  ELSE
    RAISE EXCEPTION 'supabase_functions.http_request: method % is not GET or POST', http_method;
  END IF;

  INSERT INTO supabase_functions.hooks (hook_table_id, hook_name, request_id)
  VALUES (TG_RELID, TG_NAME, request_id);
  RETURN NEW;
END
$fn$;

-- The owner role of all of the above.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supabase_functions_admin') THEN
    CREATE ROLE supabase_functions_admin NOINHERIT CREATEROLE LOGIN NOREPLICATION;
  END IF;
END
$$;
GRANT ALL PRIVILEGES ON SCHEMA supabase_functions TO supabase_functions_admin;
GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA supabase_functions TO supabase_functions_admin;
GRANT ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA supabase_functions TO supabase_functions_admin;
ALTER ROLE supabase_functions_admin SET search_path = supabase_functions;
ALTER TABLE supabase_functions.migrations OWNER TO supabase_functions_admin;
ALTER TABLE supabase_functions.hooks OWNER TO supabase_functions_admin;
ALTER FUNCTION supabase_functions.http_request() OWNER TO supabase_functions_admin;
GRANT supabase_functions_admin TO postgres;

-- With pg_net: let the API roles call its request functions, as their owner.
DO $$
DECLARE
  fn regprocedure;
BEGIN
  IF to_regnamespace('net') IS NULL THEN
    RETURN;
  END IF;
  GRANT USAGE ON SCHEMA net TO supabase_functions_admin, postgres, anon, authenticated, service_role;
  FOR fn IN
    SELECT p.oid::regprocedure FROM pg_proc p
    WHERE p.pronamespace = 'net'::regnamespace AND p.proname IN ('http_get', 'http_post')
  LOOP
    EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER', fn);
    EXECUTE format('ALTER FUNCTION %s SET search_path = net', fn);
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO supabase_functions_admin, postgres, anon, authenticated, service_role', fn);
  END LOOP;
END
$$;

-- An older image's role for pg_net is no longer used.
DO $$
BEGIN
  DROP ROLE IF EXISTS supabase_pg_net_admin;
EXCEPTION WHEN dependent_objects_still_exist THEN
  RAISE NOTICE 'kept role supabase_pg_net_admin: it still owns objects';
END
$$;

INSERT INTO supabase_functions.migrations (version)
VALUES ('initial'), ('20210809183423_update_grants')
ON CONFLICT (version) DO NOTHING;

COMMIT;
