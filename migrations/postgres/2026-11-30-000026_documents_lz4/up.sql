-- Activity documents compressed with LZ4 instead of PostgreSQL's default pglz: a full catalog
-- page decompresses fifty documents of about 3.7 KB, and pglz's decompression was the largest
-- single cost inside PostgreSQL for it. Values are recompressed as they are next written (every
-- edit and status change rewrites both). A server built without LZ4 support keeps pglz: the
-- statement is attempted, not required.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE activities ALTER COLUMN details SET COMPRESSION lz4, '
        'ALTER COLUMN document_json SET COMPRESSION lz4, ALTER COLUMN summary_json SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'LZ4 is not available here; activity documents stay compressed with pglz';
END
$$;
