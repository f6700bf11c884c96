-- PostgreSQL only (a seat change marks the catalog once, from the seat trigger): SQLite's
-- triggers are plain statements run in place, and its catalog counter is one row. Kept so that
-- both databases hold the same migrations.
SELECT 1;
