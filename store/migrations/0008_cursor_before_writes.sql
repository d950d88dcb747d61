-- before_writes = 1: the saved change token was read before this account's own writes to
-- the calendar, and no later token confirmed them. A server may leave out of an increment
-- what was created and deleted after the token (RFC 6578 allows it; Xandikos does), so such
-- a token could hide the deletion of an event calsync just wrote: the next run reads its
-- increment and then lists the calendar in full.
ALTER TABLE cursors ADD COLUMN before_writes INTEGER NOT NULL DEFAULT 0;
