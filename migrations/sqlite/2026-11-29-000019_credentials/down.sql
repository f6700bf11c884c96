DROP TABLE credentials;
DROP TABLE credential_status_lists;
ALTER TABLE signing_keys DROP COLUMN purpose;
