DELETE FROM territories;
