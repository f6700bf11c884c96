-- PostgreSQL only (fillfactor for heap-only updates of the seat counter): SQLite updates a
-- row in place in its b-tree page. Kept so that both databases hold the same migrations.
SELECT 1;
