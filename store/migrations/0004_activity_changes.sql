-- Which activities changed, in commit order, so a process that keeps an in-memory copy of
-- the list's search columns (store/search_index.go) can bring it up to date by re-reading
-- only those rows. Kept by triggers, whatever code writes the activities; a big import
-- (store.CreateActivities) writes one row for its whole id range instead of one per row.
-- Ids, not rowids: activities' rowids may be renumbered by a VACUUM, ids never change.
-- AUTOINCREMENT: a seq is never handed out twice, so a reader that finds fewer entries
-- after its position than the numbers say knows some were pruned and reads everything.
CREATE TABLE activity_changes (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
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

-- Only the recent past is needed (a copy further behind reads everything anyway): every
-- thousandth entry drops all but the last 10,000.
CREATE TRIGGER activity_changes_prune AFTER INSERT ON activity_changes
WHEN NEW.seq % 1000 = 0 BEGIN
    DELETE FROM activity_changes WHERE seq <= NEW.seq - 10000;
END;
