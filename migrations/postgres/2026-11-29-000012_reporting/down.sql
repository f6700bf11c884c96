DROP TABLE reporting_batch_items;
DROP TABLE reporting_batches;
DROP TABLE reporting_items;
