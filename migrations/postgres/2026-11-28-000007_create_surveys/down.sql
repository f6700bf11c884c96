DROP TABLE survey_score_pairs;
DROP TABLE survey_item_pairs;
DROP TABLE survey_answers;
DROP TABLE survey_responses;
DROP TABLE surveys;
