package store

// Sync-side store API (engineer E). Every function takes a Handler (s.DB or a tx from
// s.Tx) so callers compose writes into one transaction. Times are UTC; lookups that
// find nothing return an error wrapping ErrNotFound (test with errors.Is).
//
//	accounts.go  CreateAccount, GetAccount, ListAccounts, UpdateAccount, SetAccountState,
//	             RecordAccountError, ClearAccountError, SetAccountScopes, MarkAccountSynced,
//	             DeleteAccount (links/secrets/calendars/settings/cursors/lease/runs go;
//	             activities and the journal stay)
//	secrets.go   PutSecret, GetSecret, DeleteSecret, (*Store).SaveSecret (a
//	             providers.SecretSaver: refreshed tokens are written back)
//	calendars.go ReplaceCalendars, ListCalendars, GetCalendar
//	settings.go  DefaultSyncSettings, GetSyncSettings (defaults when absent),
//	             ValidateSyncSettings, PutSyncSettings, EnableSync (sets activated_at the
//	             first time), ParseTypes
//	links.go     InsertLink, GetLink, GetLinkByRemote, GetLinkByActivity, LinksForActivity,
//	             UpdateLink, DeleteLink, ListLinks, ListLinksPage, CountLinks,
//	             CountLinksByState, PendingRemoteID; and the engine's own reads/writes
//	             (Sync*: activities it imports, tombstones or updates from the calendar,
//	             push candidates, batch imports, page lookups, counts)
//	cursors.go   GetCursor, PutCursor, DeleteCursor, DeleteCursors
//	journal.go   AppendJournal, AppendJournalBatch, QueryJournal (newest first; filters by
//	             account, activity, remote id, run, op, reason, reason prefix, time, id
//	             paging), GetJournalEntry, JournalReasons
//	locks.go     AcquireLease, RenewLease, ReleaseLease, GetLease
//	runs.go      StartRun, FinishRun, LastRun, LastRunWithStatus, ListRuns
//
// Secrets are only reachable through GetSecret: no struct here has a secret field, so no
// String(), %v or JSON of a store value can leak one (Cursor.Token is json:"-" too).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ErrNotFound is returned (wrapped) when a lookup finds no row.
var ErrNotFound = errors.New("not found")

// sqTime converts a time to the schema's INTEGER unix seconds.
func sqTime(t time.Time) int64 { return t.Unix() }

// sqTimePtr converts an optional time to a nullable column value.
func sqTimePtr(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.Unix()
}

// goTime converts unix seconds back to a UTC time.
func goTime(s int64) time.Time { return time.Unix(s, 0).UTC() }

// goTimePtr converts a nullable column back to an optional time.
func goTimePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := goTime(n.Int64)
	return &t
}

// newID returns a fresh UUIDv7 (time-ordered, so ids sort by creation).
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

func nowOr(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t.UTC()
}

const accountCols = `id, kind, name, login, server_url, endpoints, client_id, auth_kind, state,
	granted_scopes, last_error_kind, last_error_message, last_error_at, last_sync_at, created_at, updated_at`

func scanAccount(sc interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var scopes string
	var errAt, syncAt sql.NullInt64
	var created, updated int64
	err := sc.Scan(&a.ID, &a.Kind, &a.Name, &a.Login, &a.ServerURL, &a.Endpoints, &a.ClientID,
		&a.AuthKind, &a.State, &scopes, &a.LastErrorKind, &a.LastErrorMessage, &errAt, &syncAt,
		&created, &updated)
	if err != nil {
		return a, err
	}
	a.GrantedScopes = strings.Fields(scopes)
	a.LastErrorAt = goTimePtr(errAt)
	a.LastSyncAt = goTimePtr(syncAt)
	a.CreatedAt = goTime(created)
	a.UpdatedAt = goTime(updated)
	return a, nil
}

// CreateAccount inserts a. An empty ID gets a fresh UUIDv7, an empty State "connected",
// empty Endpoints "{}", a zero CreatedAt the current time. It returns the stored account.
func CreateAccount(ctx context.Context, h Handler, a Account) (Account, error) {
	if a.ID == "" {
		a.ID = newID()
	}
	if a.State == "" {
		a.State = AccountConnected
	}
	if a.Endpoints == "" {
		a.Endpoints = "{}"
	}
	if a.AuthKind == "" {
		a.AuthKind = "oauth"
		if a.Kind == "caldav" {
			a.AuthKind = "password"
		}
	}
	if a.Name == "" {
		a.Name = a.Login
	}
	if a.Name == "" {
		a.Name = a.Kind
	}
	a.CreatedAt = nowOr(a.CreatedAt)
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	_, err := h.ExecContext(ctx, `INSERT INTO accounts (`+accountCols+`)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		a.ID, a.Kind, a.Name, a.Login, a.ServerURL, a.Endpoints, a.ClientID, a.AuthKind, a.State,
		strings.Join(a.GrantedScopes, " "), a.LastErrorKind, a.LastErrorMessage,
		sqTimePtr(a.LastErrorAt), sqTimePtr(a.LastSyncAt), sqTime(a.CreatedAt), sqTime(a.UpdatedAt))
	if err != nil {
		return Account{}, fmt.Errorf("create account: %w", err)
	}
	return GetAccount(ctx, h, a.ID)
}

// GetAccount reads one account.
func GetAccount(ctx context.Context, h Handler, id string) (Account, error) {
	a, err := scanAccount(h.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, fmt.Errorf("account %q: %w", id, ErrNotFound)
	}
	return a, err
}

// ListAccounts returns every account, oldest first.
func ListAccounts(ctx context.Context, h Handler) ([]Account, error) {
	return queryAll(ctx, h, scanAccount, `SELECT `+accountCols+` FROM accounts ORDER BY created_at, id`)
}

// UpdateAccount writes every field of a except ID and CreatedAt. UpdatedAt is set to now.
func UpdateAccount(ctx context.Context, h Handler, a Account, now time.Time) error {
	if a.Endpoints == "" {
		a.Endpoints = "{}"
	}
	res, err := h.ExecContext(ctx, `UPDATE accounts SET kind=?, name=?, login=?, server_url=?,
		endpoints=?, client_id=?, auth_kind=?, state=?, granted_scopes=?, last_error_kind=?,
		last_error_message=?, last_error_at=?, last_sync_at=?, updated_at=? WHERE id=?`,
		a.Kind, a.Name, a.Login, a.ServerURL, a.Endpoints, a.ClientID, a.AuthKind, a.State,
		strings.Join(a.GrantedScopes, " "), a.LastErrorKind, a.LastErrorMessage,
		sqTimePtr(a.LastErrorAt), sqTimePtr(a.LastSyncAt), sqTime(nowOr(now)), a.ID)
	return expectOne(res, err, "account", a.ID)
}

func expectOne(res sql.Result, err error, what, id string) error {
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s %q: %w", what, id, ErrNotFound)
	}
	return nil
}

// SetAccountState sets connected | needs_reauth | disabled.
func SetAccountState(ctx context.Context, h Handler, id, state string, now time.Time) error {
	switch state {
	case AccountConnected, AccountNeedsReauth, AccountDisabled:
	default:
		return fmt.Errorf("account state %q: want %s, %s or %s", state, AccountConnected, AccountNeedsReauth, AccountDisabled)
	}
	res, err := h.ExecContext(ctx, `UPDATE accounts SET state=?, updated_at=? WHERE id=?`, state, sqTime(nowOr(now)), id)
	return expectOne(res, err, "account", id)
}

// RecordAccountError remembers the last error (a providers.Kind and a message that holds
// no secret) so the home screen and the doctor can show it.
func RecordAccountError(ctx context.Context, h Handler, id, kind, msg string, at time.Time) error {
	at = nowOr(at)
	res, err := h.ExecContext(ctx, `UPDATE accounts SET last_error_kind=?, last_error_message=?,
		last_error_at=?, updated_at=? WHERE id=?`, kind, msg, sqTime(at), sqTime(at), id)
	return expectOne(res, err, "account", id)
}

// ClearAccountError forgets the last error (after a successful run or a reconnect).
func ClearAccountError(ctx context.Context, h Handler, id string, now time.Time) error {
	res, err := h.ExecContext(ctx, `UPDATE accounts SET last_error_kind='', last_error_message='',
		last_error_at=NULL, updated_at=? WHERE id=?`, sqTime(nowOr(now)), id)
	return expectOne(res, err, "account", id)
}

// SetAccountScopes records the scopes the provider actually granted.
func SetAccountScopes(ctx context.Context, h Handler, id string, scopes []string, now time.Time) error {
	res, err := h.ExecContext(ctx, `UPDATE accounts SET granted_scopes=?, updated_at=? WHERE id=?`,
		strings.Join(scopes, " "), sqTime(nowOr(now)), id)
	return expectOne(res, err, "account", id)
}

// MarkAccountSynced sets last_sync_at (a run finished without failing).
func MarkAccountSynced(ctx context.Context, h Handler, id string, at time.Time) error {
	res, err := h.ExecContext(ctx, `UPDATE accounts SET last_sync_at=? WHERE id=?`, sqTime(nowOr(at)), id)
	return expectOne(res, err, "account", id)
}

// DeleteAccount removes an account with its secret, calendars, settings, links, cursors,
// lease and run history. Activities (also those it imported) and the journal stay:
// removing a calendar connection never deletes CRM data.
func DeleteAccount(ctx context.Context, h Handler, id string) error {
	for _, q := range []string{
		`DELETE FROM links WHERE account_id = ?`,
		`DELETE FROM cursors WHERE account_id = ?`,
		`DELETE FROM calendars WHERE account_id = ?`,
		`DELETE FROM sync_settings WHERE account_id = ?`,
		`DELETE FROM secrets WHERE account_id = ?`,
		`DELETE FROM sync_locks WHERE account_id = ?`,
		`DELETE FROM sync_runs WHERE account_id = ?`,
	} {
		if _, err := h.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("delete account %q: %w", id, err)
		}
	}
	res, err := h.ExecContext(ctx, `DELETE FROM accounts WHERE id = ?`, id)
	return expectOne(res, err, "account", id)
}
