DROP INDEX challenges_updated_idx;
DROP INDEX challenges_organisation_ids_idx;
ALTER TABLE challenges DROP COLUMN organisation_ids;
