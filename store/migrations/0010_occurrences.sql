-- Linked events that are one occurrence of a recurring series (issue 14): the series they
-- belong to, and why the calendar will not take a change to them ("" = it will). Kept
-- beside links, keyed like them, so the link queries stay as they are; a row whose link
-- is gone is ignored (and replaced when the event is linked again).
CREATE TABLE occurrences (
	account_id  TEXT NOT NULL,
	calendar_id TEXT NOT NULL,
	remote_id   TEXT NOT NULL,
	series_id   TEXT NOT NULL,
	refusal     TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (account_id, calendar_id, remote_id)
) WITHOUT ROWID;
