ALTER TABLE credit_claims DROP COLUMN moc_credit_type;
ALTER TABLE credit_claims DROP COLUMN moc_board;
