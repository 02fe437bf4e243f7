-- A thread may discuss something another feature owns (a challenge, a commun's news): the feature
-- that creates such a thread says what it is about; discussions only stores and shows the link.
ALTER TABLE threads
    ADD COLUMN subject_type text,
    ADD COLUMN subject_id uuid,
    ADD CONSTRAINT threads_subject_check CHECK ((subject_type IS NULL) = (subject_id IS NULL));
