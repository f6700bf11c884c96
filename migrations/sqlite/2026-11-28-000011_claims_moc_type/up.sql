-- MOC points are reported per board, and ABIM counts them by type (medical knowledge,
-- practice assessment, patient safety): a MOC claim records both.
ALTER TABLE credit_claims ADD COLUMN moc_board TEXT;
ALTER TABLE credit_claims ADD COLUMN moc_credit_type TEXT;
