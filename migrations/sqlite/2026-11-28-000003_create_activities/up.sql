-- Controlled vocabularies (seeded below; programs can add their own codes).
CREATE TABLE specialties (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    parent_code TEXT REFERENCES specialties (code)
);
CREATE TABLE topics (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL
);

-- Accredited activities. Columns hold what lists filter and sort on; the rest of the
-- activity (texts, objectives, needs, supporters, requirements) is one JSON document that is
-- never queried inside.
CREATE TABLE activities (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    -- Lower-cased title for the `q` filter.
    title_search TEXT NOT NULL,
    format TEXT NOT NULL,
    status TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    starts_at TIMESTAMP,
    ends_at TIMESTAMP,
    release_date DATE,
    expiry_date DATE,
    -- Catalog order: starts_at for live formats, release date (midnight UTC) otherwise.
    sort_at TIMESTAMP NOT NULL,
    capacity INTEGER,
    registration_opens_at TIMESTAMP,
    registration_closes_at TIMESTAMP,
    claim_deadline DATE,
    details TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX activities_status_sort ON activities (status, sort_at, id);
CREATE INDEX activities_status_format_sort ON activities (status, format, sort_at, id);
CREATE INDEX activities_updated ON activities (updated_at, id);
CREATE INDEX activities_created_by ON activities (created_by);

CREATE TABLE activity_credit_designations (
    activity_id TEXT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    credit_type TEXT NOT NULL,
    position INTEGER NOT NULL,
    -- Hundredths of a credit or hour (0.25 steps are multiples of 25).
    max_amount_hundredths INTEGER NOT NULL,
    acpe_uan TEXT,
    -- Comma-separated professions.
    eligible_professions TEXT NOT NULL,
    PRIMARY KEY (activity_id, credit_type)
);
CREATE INDEX activity_credit_designations_type ON activity_credit_designations (credit_type, activity_id);

CREATE TABLE activity_specialties (
    activity_id TEXT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    code TEXT NOT NULL REFERENCES specialties (code),
    PRIMARY KEY (activity_id, code)
);
CREATE INDEX activity_specialties_code ON activity_specialties (code, activity_id);

CREATE TABLE activity_topics (
    activity_id TEXT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    code TEXT NOT NULL REFERENCES topics (code),
    PRIMARY KEY (activity_id, code)
);

CREATE TABLE activity_professions (
    activity_id TEXT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    profession TEXT NOT NULL,
    PRIMARY KEY (activity_id, profession)
);
CREATE INDEX activity_professions_profession ON activity_professions (profession, activity_id);

-- Planners, faculty and reviewers with their disclosures (JSON).
CREATE TABLE activity_people (
    activity_id TEXT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    user_id TEXT REFERENCES users (id),
    disclosure TEXT,
    PRIMARY KEY (activity_id, position)
);
CREATE INDEX activity_people_user ON activity_people (user_id, role);

-- Sessions of regularly scheduled series and multi-session courses.
CREATE TABLE activity_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    activity_id TEXT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    location TEXT,
    presenters TEXT NOT NULL,
    credit_hundredths INTEGER,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX activity_sessions_activity ON activity_sessions (activity_id, starts_at);

INSERT INTO specialties (code, name, parent_code) VALUES
    ('allergy_immunology', 'Allergy and Immunology', NULL),
    ('anesthesiology', 'Anesthesiology', NULL),
    ('colon_rectal_surgery', 'Colon and Rectal Surgery', NULL),
    ('dermatology', 'Dermatology', NULL),
    ('emergency_medicine', 'Emergency Medicine', NULL),
    ('family_medicine', 'Family Medicine', NULL),
    ('internal_medicine', 'Internal Medicine', NULL),
    ('cardiology', 'Cardiovascular Disease', 'internal_medicine'),
    ('endocrinology', 'Endocrinology, Diabetes and Metabolism', 'internal_medicine'),
    ('gastroenterology', 'Gastroenterology', 'internal_medicine'),
    ('hematology', 'Hematology', 'internal_medicine'),
    ('infectious_disease', 'Infectious Disease', 'internal_medicine'),
    ('nephrology', 'Nephrology', 'internal_medicine'),
    ('oncology', 'Medical Oncology', 'internal_medicine'),
    ('pulmonary_critical_care', 'Pulmonary Disease and Critical Care Medicine', 'internal_medicine'),
    ('rheumatology', 'Rheumatology', 'internal_medicine'),
    ('geriatric_medicine', 'Geriatric Medicine', 'internal_medicine'),
    ('hospital_medicine', 'Hospital Medicine', 'internal_medicine'),
    ('medical_genetics', 'Medical Genetics and Genomics', NULL),
    ('neurological_surgery', 'Neurological Surgery', NULL),
    ('nuclear_medicine', 'Nuclear Medicine', NULL),
    ('obstetrics_gynecology', 'Obstetrics and Gynecology', NULL),
    ('ophthalmology', 'Ophthalmology', NULL),
    ('orthopaedic_surgery', 'Orthopaedic Surgery', NULL),
    ('otolaryngology', 'Otolaryngology - Head and Neck Surgery', NULL),
    ('pathology', 'Pathology', NULL),
    ('pediatrics', 'Pediatrics', NULL),
    ('pediatric_cardiology', 'Pediatric Cardiology', 'pediatrics'),
    ('neonatology', 'Neonatal-Perinatal Medicine', 'pediatrics'),
    ('physical_medicine_rehabilitation', 'Physical Medicine and Rehabilitation', NULL),
    ('plastic_surgery', 'Plastic Surgery', NULL),
    ('preventive_medicine', 'Preventive Medicine', NULL),
    ('psychiatry_neurology', 'Psychiatry and Neurology', NULL),
    ('psychiatry', 'Psychiatry', 'psychiatry_neurology'),
    ('neurology', 'Neurology', 'psychiatry_neurology'),
    ('radiology', 'Radiology', NULL),
    ('radiation_oncology', 'Radiation Oncology', 'radiology'),
    ('surgery', 'Surgery', NULL),
    ('surgical_oncology', 'Complex General Surgical Oncology', 'surgery'),
    ('vascular_surgery', 'Vascular Surgery', 'surgery'),
    ('thoracic_surgery', 'Thoracic Surgery', NULL),
    ('urology', 'Urology', NULL),
    ('nursing_practice', 'Nursing Practice', NULL),
    ('critical_care_nursing', 'Critical Care Nursing', 'nursing_practice'),
    ('oncology_nursing', 'Oncology Nursing', 'nursing_practice'),
    ('pharmacy_practice', 'Pharmacy Practice', NULL),
    ('ambulatory_care_pharmacy', 'Ambulatory Care Pharmacy', 'pharmacy_practice'),
    ('oncology_pharmacy', 'Oncology Pharmacy', 'pharmacy_practice');

INSERT INTO topics (code, name) VALUES
    ('faculty_development', 'Faculty Development'),
    ('technology', 'Technology'),
    ('patient_safety', 'Patient Safety'),
    ('risk_management', 'Risk Management'),
    ('personalized_medicine', 'Personalized Medicine'),
    ('innovations_in_medicine', 'Innovations in Medicine'),
    ('leadership', 'Leadership'),
    ('research', 'Research'),
    ('quality_improvement', 'Quality Improvement'),
    ('ethics_professionalism', 'Ethics and Professionalism'),
    ('pain_management_opioids', 'Pain Management and Opioid Prescribing'),
    ('health_equity', 'Health Equity'),
    ('wellness_burnout', 'Wellness and Burnout'),
    ('communication', 'Communication'),
    ('team_based_care', 'Team-Based Care'),
    ('medical_education', 'Medical Education');
