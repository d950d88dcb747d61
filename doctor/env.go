package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

// Env is what checks and fixes work with. package main and the wizard build one; tests
// build their own against fake providers.
type Env struct {
	Store *store.Store
	Now   func() time.Time
	// Target is the activity being investigated ("why isn't this in my calendar?"), or nil.
	Target *Target
	// Sync runs the engine once for one account. Only fixes call it: diagnosing never
	// syncs (it would push, pull and rewrite the very data being diagnosed).
	Sync func(ctx context.Context, accountID string) error
	// ConfirmTimeShift runs the engine once for one account with the time-shift guard's
	// moves confirmed (sync.RunOptions.ConfirmTimeShift). Only the confirm-time-shift fix
	// calls it.
	ConfirmTimeShift func(ctx context.Context, accountID string) (sync.Summary, error)
	// DryRun decides the next sync of an account without writing anywhere (the settings
	// preview's dry run): what is still waiting. Nil leaves that unsaid.
	DryRun func(ctx context.Context, accountID string) (sync.Summary, error)
	// Open opens the provider of an account. secret overrides the stored secret (a
	// candidate app password being tested before it is saved); nil uses the stored one.
	Open func(ctx context.Context, acct store.Account, secret []byte) (providers.Provider, error)
	// Reconnect runs a fresh sign-in for an account (a browser or device-code flow). Nil
	// when nobody is at the keyboard.
	Reconnect func(ctx context.Context, accountID string) error
	// Prober probes the network; nil uses a default with short timeouts.
	Prober *Prober
	// Offline skips the checks that talk to providers or write test data, and fixes do not
	// sync afterwards (the next scheduled sync applies them).
	Offline bool
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

// Target is the activity a person asked about.
type Target struct {
	Activity store.Activity `json:"-"`
	ID       string         `json:"activity_id"`
	Subject  string         `json:"subject"`
	Search   string         `json:"search,omitempty"`
}

// AccountView is one account with its settings and calendars, loaded once per run.
type AccountView struct {
	Account   store.Account
	Settings  store.SyncSettings
	Calendars []store.Calendar
}

// Calendar returns the chosen calendar as last listed, if it was.
func (a *AccountView) Calendar() (store.Calendar, bool) {
	for _, c := range a.Calendars {
		if c.RemoteID == a.Settings.CalendarID {
			return c, true
		}
	}
	return store.Calendar{}, false
}

// Label names the account for people: "Work (google, ana@example.com)".
func (a *AccountView) Label() string {
	if a == nil {
		return ""
	}
	s := a.Account.Name
	if s == "" {
		s = a.Account.ID
	}
	extra := a.Account.Kind
	if a.Account.Login != "" {
		extra += ", " + a.Account.Login
	}
	return fmt.Sprintf("%s (%s)", s, extra)
}

// LoadAccounts reads every account with its settings and calendars.
func LoadAccounts(ctx context.Context, st *store.Store) ([]*AccountView, error) {
	accts, err := store.ListAccounts(ctx, st.DB)
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	var out []*AccountView
	for _, a := range accts {
		v := &AccountView{Account: a}
		if v.Settings, err = store.GetSyncSettings(ctx, st.DB, a.ID); err != nil {
			return nil, fmt.Errorf("read sync settings of %s: %w", a.ID, err)
		}
		if v.Calendars, err = store.ListCalendars(ctx, st.DB, a.ID); err != nil {
			return nil, fmt.Errorf("read calendars of %s: %w", a.ID, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// ResolveTarget finds the activity to investigate by id (or unique id prefix) or by a
// search text that must match exactly one activity's subject.
func ResolveTarget(ctx context.Context, st *store.Store, id, search string) (*Target, error) {
	if id != "" {
		full, err := store.ResolveActivityID(ctx, st.DB, id)
		if err != nil {
			return nil, err
		}
		a, err := store.GetActivity(ctx, st.DB, full)
		if err != nil {
			return nil, err
		}
		return &Target{Activity: a, ID: a.ID, Subject: a.Subject}, nil
	}
	if strings.TrimSpace(search) == "" {
		return nil, errors.New("give an activity id or a search text")
	}
	ids, err := searchActivities(ctx, st, search)
	if err != nil {
		return nil, err
	}
	switch len(ids) {
	case 0:
		return nil, fmt.Errorf("no activity matches %q (deleted activities included)", search)
	case 1:
	default:
		return nil, fmt.Errorf("%d activities match %q; pass one id with --activity (see `calsync activity list --owner all --status all --search %q`)", len(ids), search, search)
	}
	a, err := store.GetActivity(ctx, st.DB, ids[0])
	if err != nil {
		return nil, err
	}
	return &Target{Activity: a, ID: a.ID, Subject: a.Subject, Search: search}, nil
}

// searchActivities matches subjects case-insensitively across every owner, status and
// period, so an activity the list filters hide can still be found.
func searchActivities(ctx context.Context, st *store.Store, search string) ([]string, error) {
	rows, err := st.DB.QueryContext(ctx, `SELECT id, subject FROM activities ORDER BY deleted_at IS NOT NULL, start_at`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	q := strings.ToLower(strings.TrimSpace(search))
	var exact, partial []string
	for rows.Next() {
		var id, subj string
		if err := rows.Scan(&id, &subj); err != nil {
			return nil, err
		}
		ls := strings.ToLower(subj)
		if ls == q {
			exact = append(exact, id)
		} else if strings.Contains(ls, q) {
			partial = append(partial, id)
		}
	}
	if len(exact) > 0 {
		return exact, rows.Err()
	}
	return partial, rows.Err()
}
