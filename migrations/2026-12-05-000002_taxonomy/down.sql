DROP TABLE territories;
DROP TABLE themes;
