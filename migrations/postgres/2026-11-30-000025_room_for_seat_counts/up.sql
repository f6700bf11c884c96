-- Room on each page for a row's next version, so that the seat counter's update (every
-- enrollment, cancellation and completion) and the catalog mark's are heap-only (HOT): the new
-- version goes beside the old one on its page, no index of the table gains an entry, and the
-- WAL record carries only the bytes that changed. Packed full, as inserts leave them, pages have
-- no room: each seat taken wrote a whole new activity row (about 1.3 KB inline) to another page
-- and an entry into each of the activities' five indexes, and the mark's row likewise.
--
-- Applies to pages filled from now on: existing rows move to roomy pages as they are next
-- updated (or at once with `VACUUM FULL activities, catalog_marks` in a maintenance window).
ALTER TABLE activities SET (fillfactor = 50);
ALTER TABLE catalog_marks SET (fillfactor = 50);
