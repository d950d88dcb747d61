-- The activity list: case-insensitive search and one-pass counts on 100,000 activities.

-- Subject, location and note lower-cased by the store (Go folds all of Unicode; SQLite's
-- lower() only folds ASCII). Every write through store/activities.go keeps it current.
ALTER TABLE activities ADD COLUMN search_fold TEXT NOT NULL DEFAULT '';
UPDATE activities SET search_fold = lower(subject || char(10) || location || char(10) || note);

-- Covers the list's order (start, id) and every filter column except the search, so a
-- page and the counts read this index instead of the table (whose rows carry the notes).
CREATE INDEX activities_list ON activities(start_at, id, owner_id, type, done, all_day) WHERE deleted_at IS NULL;
DROP INDEX activities_start; -- a prefix of activities_list

-- Safety net for writers that do not set search_fold themselves (store.SearchFold): an
-- ASCII-only fold, so their activities are still found by search.
CREATE TRIGGER activities_search_fold_insert AFTER INSERT ON activities
WHEN NEW.search_fold = '' BEGIN
    UPDATE activities SET search_fold = lower(NEW.subject || char(10) || NEW.location || char(10) || NEW.note)
    WHERE id = NEW.id;
END;
CREATE TRIGGER activities_search_fold_update AFTER UPDATE OF subject, location, note ON activities
WHEN NEW.search_fold = OLD.search_fold
  AND (NEW.subject IS NOT OLD.subject OR NEW.location IS NOT OLD.location OR NEW.note IS NOT OLD.note) BEGIN
    UPDATE activities SET search_fold = lower(NEW.subject || char(10) || NEW.location || char(10) || NEW.note)
    WHERE id = NEW.id;
END;
