-- The sync engine's quiet run: links that need attention whatever their activity's age
-- (interrupted creates/deletes, failed writes, links whose synced state is unknown) are
-- found through this small partial index instead of a walk over every link. Activities
-- edited since the last run are found through activities_updated.
CREATE INDEX links_attention ON links(account_id, calendar_id, id)
    WHERE state != 'synced' OR last_error != '' OR synced_rev = 0;
