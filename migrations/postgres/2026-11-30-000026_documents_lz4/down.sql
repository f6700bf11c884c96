ALTER TABLE activities ALTER COLUMN details SET COMPRESSION default,
    ALTER COLUMN document_json SET COMPRESSION default, ALTER COLUMN summary_json SET COMPRESSION default;
