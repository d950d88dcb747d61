-- Where an account's secrets live: in this row ('database'), or in the OS keyring
-- ('keyring'; value and client_secret are then empty here). See store/secret_location.go.
ALTER TABLE secrets ADD COLUMN stored_in TEXT NOT NULL DEFAULT 'database' CHECK (stored_in IN ('database', 'keyring'));
