-- When the account last signed in (OAuth consent or a new password), as opposed to when
-- it was created or its token last refreshed: Google expires the refresh tokens of apps in
-- "Testing" status 7 days after sign-in, and the doctor dates that from here.
ALTER TABLE accounts ADD COLUMN signed_in_at INTEGER;
