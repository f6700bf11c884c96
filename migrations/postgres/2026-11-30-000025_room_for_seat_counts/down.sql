ALTER TABLE catalog_marks RESET (fillfactor);
ALTER TABLE activities RESET (fillfactor);
