-- calsync schema v1: the whole data model of DESIGN.md. Later migrations only add.
-- Times are INTEGER unix seconds (UTC) so range filters use plain integer indexes.

CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL DEFAULT '',
    is_me      INTEGER NOT NULL DEFAULT 0 CHECK (is_me IN (0, 1)),
    created_at INTEGER NOT NULL
);
-- exactly one user is "me": at most one here, at least one enforced by the store.
CREATE UNIQUE INDEX users_one_me ON users(is_me) WHERE is_me = 1;

CREATE TABLE activities (
    id           TEXT PRIMARY KEY,           -- UUIDv7
    owner_id     TEXT NOT NULL REFERENCES users(id),
    type         TEXT NOT NULL CHECK (type IN ('call','meeting','task','deadline','email','lunch')),
    subject      TEXT NOT NULL CHECK (length(subject) > 0),
    note         TEXT NOT NULL DEFAULT '',
    location     TEXT NOT NULL DEFAULT '',
    start_at     INTEGER NOT NULL,           -- UTC unix seconds
    time_zone    TEXT NOT NULL DEFAULT 'UTC',
    duration_min INTEGER NOT NULL DEFAULT 0 CHECK (duration_min >= 0),  -- 0 = no time
    all_day      INTEGER NOT NULL DEFAULT 0 CHECK (all_day IN (0, 1)),
    done         INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    done_at      INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER,                    -- tombstone; sync never hard-deletes
    rev          INTEGER NOT NULL DEFAULT 1, -- bumped on every local change
    origin       TEXT NOT NULL DEFAULT 'local' -- 'local' or the account id that imported it
);
CREATE INDEX activities_owner_start ON activities(owner_id, start_at) WHERE deleted_at IS NULL;
CREATE INDEX activities_start ON activities(start_at) WHERE deleted_at IS NULL;
CREATE INDEX activities_updated ON activities(updated_at);

CREATE TABLE accounts (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('google','microsoft','caldav')),
    name               TEXT NOT NULL,
    login              TEXT NOT NULL DEFAULT '',
    server_url         TEXT NOT NULL DEFAULT '',
    endpoints          TEXT NOT NULL DEFAULT '{}',  -- JSON providers.Endpoints (fakes, tests)
    client_id          TEXT NOT NULL DEFAULT '',
    auth_kind          TEXT NOT NULL CHECK (auth_kind IN ('oauth','password')),
    state              TEXT NOT NULL DEFAULT 'connected' CHECK (state IN ('connected','needs_reauth','disabled')),
    granted_scopes     TEXT NOT NULL DEFAULT '',    -- space separated, as the token response said
    last_error_kind    TEXT NOT NULL DEFAULT '',
    last_error_message TEXT NOT NULL DEFAULT '',
    last_error_at      INTEGER,
    last_sync_at       INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

-- Tokens and app passwords. Never logged, printed, journaled or bundled.
CREATE TABLE secrets (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('oauth_token','password')),
    value      BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE calendars (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    remote_id  TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    time_zone  TEXT NOT NULL DEFAULT '',
    read_only  INTEGER NOT NULL DEFAULT 0,
    is_primary INTEGER NOT NULL DEFAULT 0,
    has_events INTEGER NOT NULL DEFAULT 1,
    seen_at    INTEGER NOT NULL,
    PRIMARY KEY (account_id, remote_id)
);

CREATE TABLE sync_settings (
    account_id         TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    calendar_id        TEXT NOT NULL DEFAULT '',   -- remote id of the chosen calendar
    direction          TEXT NOT NULL DEFAULT 'two-way' CHECK (direction IN ('two-way','to-calendar','from-calendar')),
    types              TEXT NOT NULL DEFAULT 'call,meeting,task,deadline,email,lunch', -- synced activity types
    import_type        TEXT NOT NULL DEFAULT 'meeting',
    activated_at       INTEGER,                    -- when sync was switched on
    backfill_from      INTEGER,                    -- include activities from this time on
    conflict_policy    TEXT NOT NULL DEFAULT 'newest-wins' CHECK (conflict_policy IN ('newest-wins','local-wins','remote-wins')),
    enabled            INTEGER NOT NULL DEFAULT 0,
    interval_sec       INTEGER NOT NULL DEFAULT 300,
    window_past_days   INTEGER NOT NULL DEFAULT 30,
    window_future_days INTEGER NOT NULL DEFAULT 365,
    updated_at         INTEGER NOT NULL
);

CREATE TABLE links (
    id             INTEGER PRIMARY KEY,
    activity_id    TEXT NOT NULL REFERENCES activities(id),
    account_id     TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    calendar_id    TEXT NOT NULL,
    remote_id      TEXT NOT NULL,
    remote_etag    TEXT NOT NULL DEFAULT '',
    ical_uid       TEXT NOT NULL DEFAULT '',
    synced_rev     INTEGER NOT NULL DEFAULT 0,
    remote_updated INTEGER,
    state          TEXT NOT NULL DEFAULT 'pending_create' CHECK (state IN ('pending_create','synced','pending_delete','quarantined')),
    last_error     TEXT NOT NULL DEFAULT '',
    last_synced_at INTEGER,
    created_at     INTEGER NOT NULL,
    UNIQUE (account_id, calendar_id, remote_id)
);
CREATE INDEX links_activity ON links(activity_id);

CREATE TABLE cursors (
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    calendar_id TEXT NOT NULL,
    token       TEXT NOT NULL,
    taken_at    INTEGER NOT NULL,
    PRIMARY KEY (account_id, calendar_id)
);

-- Append-only record of every decision; `explain` and the Log tab read it.
CREATE TABLE journal (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      TEXT NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    account_id  TEXT NOT NULL DEFAULT '',
    activity_id TEXT NOT NULL DEFAULT '',
    remote_id   TEXT NOT NULL DEFAULT '',
    op          TEXT NOT NULL CHECK (op IN ('pushed','pulled','skipped','conflict','error','fixed','undone','info')),
    reason      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX journal_activity ON journal(activity_id, id);
CREATE INDEX journal_account ON journal(account_id, id);

-- One sync run per account: what the status bar and "last sync" show.
CREATE TABLE sync_runs (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    status      TEXT NOT NULL DEFAULT 'running', -- running | ok | failed
    summary     TEXT NOT NULL DEFAULT '{}'       -- JSON counts
);
CREATE INDEX sync_runs_account ON sync_runs(account_id, started_at);

-- The sync lease: one engine run per account at a time, across processes.
CREATE TABLE sync_locks (
    account_id TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

-- The saved activity-list filter (a single row).
CREATE TABLE list_view (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    owner      TEXT NOT NULL DEFAULT 'me',  -- me | all | <user id>
    types      TEXT NOT NULL DEFAULT '',    -- '' = all types, else comma list
    status     TEXT NOT NULL DEFAULT 'todo',
    period     TEXT NOT NULL DEFAULT 'all',
    search     TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);

-- Small preferences: the user's time zone, demo sandbox facts.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
