-- Least privilege for the shared PostgreSQL store (docs/postgresql.md).
--
-- Two logins: the OWNER owns the schema and its tables and is used only by the admin for
-- `screening-app store migrate`; the WORKSTATION login is what every workstation uses. It can
-- read and add records but holds no DDL right and owns nothing, so it cannot drop a table or
-- ALTER TABLE ... DISABLE TRIGGER (both need ownership), and it has no UPDATE, DELETE or
-- TRUNCATE on finished records, signatures or the audit trail at all.
--
-- Run as a superuser (or a role with CREATEROLE), connected to the clinic's database:
--   psql -d clinic_records -v owner=screening_owner -v workstation=screening_workstation \
--        -v owner_password='…' -v workstation_password='…' -f scripts/postgres-roles.sql
-- then, as the owner:
--   screening-app store migrate --to postgresql://screening_owner@HOST/clinic_records \
--        --grant-to screening_workstation
-- (the table rights are granted by `store migrate`, which knows the tables of each version).
\set ON_ERROR_STOP on

CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE :"workstation" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT
    PASSWORD :'workstation_password';

-- Nobody else may connect or create objects here.
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"DBNAME" TO :"owner";
GRANT CONNECT ON DATABASE :"DBNAME" TO :"workstation";
REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- The records live in their own schema, owned by the owner; the workstation may only use it.
-- (A non-superuser running this must briefly be a member of the owner role to give it the schema.)
GRANT :"owner" TO CURRENT_USER;
CREATE SCHEMA screening AUTHORIZATION :"owner";
GRANT USAGE ON SCHEMA screening TO :"workstation";
REVOKE :"owner" FROM CURRENT_USER;
ALTER ROLE :"owner" IN DATABASE :"DBNAME" SET search_path = screening;
ALTER ROLE :"workstation" IN DATABASE :"DBNAME" SET search_path = screening;
