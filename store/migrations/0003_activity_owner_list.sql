-- The activity list filtered by owner (the default: my activities), in start order: a
-- covering index, so paging deep into the list reads index entries, not table rows.
-- It replaces activities_owner_start, which it extends.
CREATE INDEX activities_owner_list ON activities(owner_id, start_at, id, type, done, all_day) WHERE deleted_at IS NULL;
DROP INDEX activities_owner_start;
