-- Three roles. The owner runs migrations (DDL). The app role serves the web: data rights only,
-- one tenant at a time under row-level security, whatever settings it makes. The platform role
-- does cross-tenant work (outbox relay, scheduler, audit verification, seeding) and is used by
-- the worker and the scheduler, never by the web. Neither is a superuser or has BYPASSRLS;
-- grants and policies are applied by every `pelvicoach db upgrade`.
CREATE ROLE pelvicoach_owner LOGIN PASSWORD 'change-me-owner';
CREATE ROLE pelvicoach_app LOGIN PASSWORD 'change-me-app' NOSUPERUSER NOBYPASSRLS;
CREATE ROLE pelvicoach_platform LOGIN PASSWORD 'change-me-platform' NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE pelvicoach OWNER pelvicoach_owner;
