ALTER TABLE threads DROP COLUMN subject_id, DROP COLUMN subject_type;
