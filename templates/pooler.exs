# SPDX-License-Identifier: Apache-2.0
# supactl: evaluated by supavisor at start (`supavisor eval`). Creates the instance's pooler
# tenant (POOLER_TENANT_ID) once, pointing at the instance's database; clients then log in as
# `postgres.<tenant>` on 5432 (session) or 6543 (transaction).
{:ok, _} = Application.ensure_all_started(:supavisor)

env = fn name, default -> System.get_env(name, default) end
tenant_id = env.("POOLER_TENANT_ID", "supactl")

version =
  case Supavisor.Repo.query!("select version()") do
    %{rows: [[text]]} -> text |> String.split(" ") |> Enum.at(1)
    _ -> nil
  end

params = %{
  "external_id" => tenant_id,
  "db_host" => env.("POSTGRES_HOST", "db"),
  "db_port" => String.to_integer(env.("POSTGRES_PORT", "5432")),
  "db_database" => env.("POSTGRES_DB", "postgres"),
  "require_user" => false,
  "auth_query" => "SELECT * FROM pgbouncer.get_auth($1)",
  "default_max_clients" => String.to_integer(env.("POOLER_MAX_CLIENT_CONN", "100")),
  "default_pool_size" => String.to_integer(env.("POOLER_DEFAULT_POOL_SIZE", "20")),
  "default_parameter_status" => %{"server_version" => version},
  "users" => [
    %{
      "db_user" => "pgbouncer",
      "db_password" => env.("POSTGRES_PASSWORD", ""),
      "mode_type" => env.("POOLER_POOL_MODE", "transaction"),
      "pool_size" => String.to_integer(env.("POOLER_DEFAULT_POOL_SIZE", "20")),
      "is_manager" => true
    }
  ]
}

if !Supavisor.Tenants.get_tenant_by_external_id(tenant_id) do
  {:ok, _} = Supavisor.Tenants.create_tenant(params)
end
