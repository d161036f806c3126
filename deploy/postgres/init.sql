-- Two roles: the owner runs migrations (DDL), the app role only reads and writes data under
-- row-level security (no superuser, no BYPASSRLS). Grants are applied by every `db upgrade`.
CREATE ROLE pelvicoach_owner LOGIN PASSWORD 'change-me-owner';
CREATE ROLE pelvicoach_app LOGIN PASSWORD 'change-me-app' NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE pelvicoach OWNER pelvicoach_owner;
