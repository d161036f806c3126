#!/bin/sh
# Three roles, their passwords from the environment (compose passes them to this container
# only). The owner runs migrations (DDL). The app role serves the web: data rights only, one
# tenant at a time under row-level security, whatever settings it makes. The platform role does
# cross-tenant work (outbox relay, scheduler, audit verification, seeding) and is used by the
# worker and the scheduler, never by the web. Neither is a superuser or has BYPASSRLS; grants
# and policies are applied by every `pelvicoach db upgrade`.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner="$PELVICOACH_DB_OWNER_PASSWORD" \
  -v app="$PELVICOACH_DB_APP_PASSWORD" \
  -v platform="$PELVICOACH_DB_PLATFORM_PASSWORD" <<'SQL'
CREATE ROLE pelvicoach_owner LOGIN PASSWORD :'owner';
CREATE ROLE pelvicoach_app LOGIN PASSWORD :'app' NOSUPERUSER NOBYPASSRLS;
CREATE ROLE pelvicoach_platform LOGIN PASSWORD :'platform' NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE pelvicoach OWNER pelvicoach_owner;
SQL
