-- Whose sign-in a row belongs to (oidc-provider's Session accountId, a forward-auth session's
-- subject), so an administrator can list a person's sessions and end them. Rows written before
-- this column existed stay unlisted until they are written again or expire.

ALTER TABLE oidc_artifacts ADD COLUMN subject TEXT COLLATE "C";
CREATE INDEX oidc_artifacts_by_subject ON oidc_artifacts (model, subject) WHERE subject IS NOT NULL;
