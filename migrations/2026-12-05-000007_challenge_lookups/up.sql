-- The organisations of a challenge — the one proposing it and those with a pledge offered, accepted
-- or delivered — kept with it (challenges::service::refresh_organisations), so that the
-- `organisation` filter is an index search rather than a test of every challenge.
ALTER TABLE challenges ADD COLUMN organisation_ids uuid[] NOT NULL DEFAULT '{}';
UPDATE challenges c SET organisation_ids = ARRAY(SELECT o FROM (
    SELECT c.organisation_id AS o WHERE c.organisation_id IS NOT NULL
    UNION SELECT p.organisation_id FROM pledges p WHERE p.challenge_id = c.id
      AND p.status IN ('offered', 'accepted', 'delivered')) s ORDER BY o);
CREATE INDEX challenges_organisation_ids_idx ON challenges USING gin (organisation_ids);
-- The challenges' feed: the most recently changed first.
CREATE INDEX challenges_updated_idx ON challenges (updated_at DESC, id DESC);
