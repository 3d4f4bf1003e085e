-- One database per service: each service owns its store (brief §8).
-- Runs once, when the postgres container starts on an empty data volume.
-- (`hgrip migrate` would also create a missing database; creating them here keeps startup order-free.)
CREATE DATABASE hgrip_identity;
CREATE DATABASE hgrip_projects;
CREATE DATABASE hgrip_backups;
CREATE DATABASE hgrip_verification;
CREATE DATABASE hgrip_registry_sync;
