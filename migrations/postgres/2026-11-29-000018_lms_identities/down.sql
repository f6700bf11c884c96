DROP INDEX users_npi;
DROP TABLE user_external_ids;
