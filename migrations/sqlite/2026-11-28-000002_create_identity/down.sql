DROP TABLE integration_clients;
DROP TABLE signing_keys;
DROP TABLE login_failures;
DROP TABLE refresh_tokens;
DROP TABLE user_licenses;
DROP TABLE user_board_ids;
DROP TABLE users;
