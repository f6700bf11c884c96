DROP TABLE provider_profile;
