DROP TABLE outbox;
DROP TABLE periodic_runs;
DROP TABLE jobs;
