-- Sub-second parts (nanoseconds, 0..999999999) of two stamps the activation cutoff
-- compares: an activity changed in the same second as sync was switched on was pushed or
-- not by chance of rounding. Kept beside the whole-second columns, which every query,
-- index and since-scan keeps using unchanged.
ALTER TABLE activities ADD COLUMN updated_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_settings ADD COLUMN activated_ns INTEGER NOT NULL DEFAULT 0;
