DROP TABLE resource_challenges;
DROP TABLE challenge_communs;
DROP TABLE resources;
DROP TABLE milestones;
DROP TABLE commun_subscriptions;
DROP TABLE commun_partners;
DROP TABLE commun_members;
DROP TABLE communs;
