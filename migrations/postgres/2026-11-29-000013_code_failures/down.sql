DROP TABLE code_failures;
