-- The partner projection learns kind, ESS family, CRESS membership and archiving (PartnerUpdated,
-- PartnerArchived, MembershipChanged). An event may arrive before the partner's registration
-- (redelivery, rebuild): it then creates a placeholder row without département, filled in later.
-- Three version guards, one per kind of fact, so that any delivery order gives the same row:
-- `version` for the description (PartnerRegistered / PartnerUpdated), `status_version` for
-- archiving (their status, and PartnerArchived), `membership_version` for CRESS membership
-- (their facts, and MembershipChanged).
ALTER TABLE partner_projection
    ALTER COLUMN departement_code DROP NOT NULL,
    DROP CONSTRAINT partner_projection_version_check,
    ADD CONSTRAINT partner_projection_version_check CHECK (version >= 0),
    ADD COLUMN kind TEXT,
    ADD COLUMN ess_family TEXT,
    ADD COLUMN archived BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN status_version BIGINT NOT NULL DEFAULT 0 CHECK (status_version >= 0),
    ADD COLUMN cress_member BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN membership_version BIGINT NOT NULL DEFAULT 0 CHECK (membership_version >= 0);
