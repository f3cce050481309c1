-- SPDX-License-Identifier: Apache-2.0
-- supactl: init-scripts/99-jwt.sql. Publishes the token lifetime to SQL as a database setting
-- (current_setting('app.settings.jwt_exp')) on the database the instance really uses. The
-- signing secret is never stored in the database: any role could read it there and mint
-- service_role tokens, and it would go stale after `supactl secrets rotate --jwt`.
\set jwt_exp `echo "${JWT_EXP:-3600}"`
\set db_name `echo "${POSTGRES_DB:-postgres}"`

ALTER DATABASE :"db_name" SET "app.settings.jwt_exp" TO :'jwt_exp';
