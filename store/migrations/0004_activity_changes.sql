-- Which activities changed, in commit order, so a process that keeps an in-memory copy of
-- the list's search columns (store/search_index.go) can bring it up to date by re-reading
-- only those rows. Kept by triggers, whatever code writes the activities; a big import
-- (store.CreateActivities) writes one row for its whole id range instead of one per row.
-- Ids, not rowids: activities' rowids may be renumbered by a VACUUM, ids never change.
CREATE TABLE activity_changes (
    seq      INTEGER PRIMARY KEY,
    first_id TEXT NOT NULL, -- the activities with first_id <= id <= last_id changed
    last_id  TEXT NOT NULL
);

CREATE TRIGGER activity_changes_insert AFTER INSERT ON activities BEGIN
    INSERT INTO activity_changes (first_id, last_id) VALUES (NEW.id, NEW.id);
END;

CREATE TRIGGER activity_changes_update AFTER UPDATE OF id, owner_id, type, subject, note, location, start_at,
    all_day, done, deleted_at, search_fold ON activities BEGIN
    INSERT INTO activity_changes (first_id, last_id) VALUES (NEW.id, NEW.id);
    INSERT INTO activity_changes (first_id, last_id) SELECT OLD.id, OLD.id WHERE OLD.id IS NOT NEW.id;
END;

CREATE TRIGGER activity_changes_delete AFTER DELETE ON activities BEGIN
    INSERT INTO activity_changes (first_id, last_id) VALUES (OLD.id, OLD.id);
END;
