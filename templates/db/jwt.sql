-- SPDX-License-Identifier: Apache-2.0
-- supactl: init-scripts/99-jwt.sql. Publishes the JWT settings to SQL as database settings
-- (current_setting('app.settings.jwt_secret')), on the database the instance really uses
-- rather than one named by hand. Values come from the container environment.
\set jwt_secret `echo "$JWT_SECRET"`
\set jwt_exp `echo "${JWT_EXP:-3600}"`
\set db_name `echo "${POSTGRES_DB:-postgres}"`

ALTER DATABASE :"db_name" SET "app.settings.jwt_secret" TO :'jwt_secret';
ALTER DATABASE :"db_name" SET "app.settings.jwt_exp" TO :'jwt_exp';
