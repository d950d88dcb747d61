-- The activity list: case-insensitive search, and counts that stay fast on 100,000
-- activities (SQLite has no counted b-trees: a COUNT(*) walks every row).

-- Subject, location and note lower-cased by the store (Go folds all of Unicode; SQLite's
-- lower() only folds ASCII). Every write through store/activities.go keeps it current.
ALTER TABLE activities ADD COLUMN search_fold TEXT NOT NULL DEFAULT '';
UPDATE activities SET search_fold = lower(subject || char(10) || location || char(10) || note);

-- Covers the list's order (start, id) and every filter column except the search, so a
-- page and the exact part of the counts read this index instead of the table (whose rows
-- carry the notes).
CREATE INDEX activities_list ON activities(start_at, id, owner_id, type, done, all_day) WHERE deleted_at IS NULL;
DROP INDEX activities_start; -- a prefix of activities_list

-- Safety net for writers that change the text without setting search_fold themselves
-- (store.SearchFold): an ASCII-only fold, so their activities are still found by search.
CREATE TRIGGER activities_search_fold_update AFTER UPDATE OF subject, location, note ON activities
WHEN NEW.search_fold = OLD.search_fold
  AND (NEW.subject IS NOT OLD.subject OR NEW.location IS NOT OLD.location OR NEW.note IS NOT OLD.note) BEGIN
    UPDATE activities SET search_fold = lower(NEW.subject || char(10) || NEW.location || char(10) || NEW.note)
    WHERE id = NEW.id;
END;

-- Live (not deleted) activities counted by every filter column, per week of start time.
-- The list's counts add these up for the weeks a period filter decides wholesale and
-- count only the few weeks around a period boundary row by row. Kept exact by triggers,
-- whatever code writes the activities.
-- week = (start_at + 2419200000) / 604800: weeks shifted so that dates from 1893 on are
-- positive and integer division floors.
CREATE TABLE activity_counts (
    week     INTEGER NOT NULL,
    owner_id TEXT NOT NULL,
    type     TEXT NOT NULL,
    done     INTEGER NOT NULL,
    all_day  INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (week, owner_id, type, done, all_day)
) WITHOUT ROWID;

INSERT INTO activity_counts (week, owner_id, type, done, all_day, n)
    SELECT (start_at + 2419200000) / 604800, owner_id, type, done, all_day, COUNT(*)
    FROM activities WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4, 5;

CREATE TRIGGER activity_counts_insert AFTER INSERT ON activities
WHEN NEW.deleted_at IS NULL BEGIN
    INSERT INTO activity_counts (week, owner_id, type, done, all_day, n)
    VALUES ((NEW.start_at + 2419200000) / 604800, NEW.owner_id, NEW.type, NEW.done, NEW.all_day, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER activity_counts_delete AFTER DELETE ON activities
WHEN OLD.deleted_at IS NULL BEGIN
    UPDATE activity_counts SET n = n - 1
    WHERE week = (OLD.start_at + 2419200000) / 604800 AND owner_id = OLD.owner_id AND type = OLD.type
      AND done = OLD.done AND all_day = OLD.all_day;
END;

CREATE TRIGGER activity_counts_update AFTER UPDATE OF start_at, owner_id, type, done, all_day, deleted_at ON activities
WHEN OLD.start_at IS NOT NEW.start_at OR OLD.owner_id IS NOT NEW.owner_id OR OLD.type IS NOT NEW.type
  OR OLD.done IS NOT NEW.done OR OLD.all_day IS NOT NEW.all_day OR OLD.deleted_at IS NOT NEW.deleted_at BEGIN
    UPDATE activity_counts SET n = n - 1
    WHERE OLD.deleted_at IS NULL
      AND week = (OLD.start_at + 2419200000) / 604800 AND owner_id = OLD.owner_id AND type = OLD.type
      AND done = OLD.done AND all_day = OLD.all_day;
    INSERT INTO activity_counts (week, owner_id, type, done, all_day, n)
    SELECT (NEW.start_at + 2419200000) / 604800, NEW.owner_id, NEW.type, NEW.done, NEW.all_day, 1
    WHERE NEW.deleted_at IS NULL
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
