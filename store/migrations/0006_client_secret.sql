-- The OAuth client secret an account signed in with (Google desktop clients have one), so
-- token refreshes work later without CALSYNC_GOOGLE_CLIENT_SECRET in the environment.
-- Kept beside the token in secrets: never logged, printed, journaled or bundled.
ALTER TABLE secrets ADD COLUMN client_secret BLOB NOT NULL DEFAULT x'';
