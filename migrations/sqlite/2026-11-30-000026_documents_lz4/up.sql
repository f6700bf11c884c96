-- PostgreSQL only (LZ4 compression of activity documents): SQLite does not compress. Kept so
-- that both databases hold the same migrations.
SELECT 1;
