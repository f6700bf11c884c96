-- Request quotas per client (an address, or an account) and bucket (login, register, ...):
-- one row each, counting hits in the current fixed window, shared by every replica.
CREATE TABLE rate_limit_counters (
    bucket TEXT NOT NULL,
    client_key TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (bucket, client_key)
);
CREATE INDEX rate_limit_counters_window ON rate_limit_counters (window_start);
