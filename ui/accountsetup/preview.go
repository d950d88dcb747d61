package accountsetup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/calsync/calsync/doctor"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

// Preview dry-runs the next sync (the first, for a new account) as if s were saved, and
// changes nothing.
//
// The engine's dry run reads the settings from the store, and these settings are not
// saved yet (the person may still cancel). Rather than writing them into the live
// database, where the background sync could pick them up, the preview runs on a private
// snapshot (VACUUM INTO a 0700 temp dir, removed afterwards) holding the new settings.
// The dry run writes to no provider either, so nothing anyone sees changes.
func (m *Manager) Preview(ctx context.Context, s store.SyncSettings) (Preview, error) {
	cur, err := store.GetSyncSettings(ctx, m.Store.DB, s.AccountID)
	if err != nil {
		return Preview{}, fmt.Errorf("preview: %w", err)
	}
	s = m.Prepare(s)
	dir, err := os.MkdirTemp("", "calsync-preview-")
	if err != nil {
		return Preview{}, fmt.Errorf("preview: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o700); err != nil {
		return Preview{}, fmt.Errorf("preview: %w", err)
	}
	snapPath := filepath.Join(dir, store.DBFileName)
	if _, err := m.Store.DB.ExecContext(ctx, "VACUUM INTO ?", snapPath); err != nil {
		return Preview{}, fmt.Errorf("preview: snapshot the database: %w", err)
	}
	snap, err := store.Open(ctx, dir)
	if err != nil {
		return Preview{}, fmt.Errorf("preview: %w", err)
	}
	defer snap.Close()
	// The snapshot's secrets rows point where the real ones do (the OS keyring, maybe).
	snap.Keyring, snap.KeyringNote = m.Store.Keyring, m.Store.KeyringNote
	if err := store.PutSyncSettings(ctx, snap.DB, s); err != nil {
		return Preview{}, err
	}
	e := sync.New(snap)
	e.Open = sync.DefaultOpener(snap, m.Getenv)
	e.Now = m.Now
	sum, err := e.Run(ctx, s.AccountID, sync.RunOptions{DryRun: true})
	if err != nil {
		return Preview{}, err
	}
	p := PreviewFromSummary(sum)
	p.Next = cur.ActivatedAt != nil
	// Events calsync already made for types these settings drop: the dry run does not
	// touch them (only a changed activity's event is retracted), so say so here.
	if s.CalendarID == cur.CalendarID {
		lbs, err := doctor.FindLeftBehind(ctx, m.Store.DB, s.AccountID, s.CalendarID, s.Types)
		if err != nil {
			return Preview{}, fmt.Errorf("preview: %w", err)
		}
		p.LeftBehind = len(lbs)
		seen := map[store.ActivityType]bool{}
		for _, lb := range lbs {
			seen[lb.Type] = true
		}
		var types []string
		for _, t := range store.AllTypes {
			if seen[t] {
				types = append(types, string(t))
			}
		}
		p.LeftBehindTypes = strings.Join(types, ", ")
	}
	return p, nil
}

// PreviewFromSummary turns the engine's dry-run counts into the preview's.
func PreviewFromSummary(sum sync.Summary) Preview {
	p := Preview{
		Push:      sum.Created,
		Delete:    sum.DeletedRemote,
		Import:    sum.Imported,
		Pulled:    sum.Pulled - sum.Imported,
		Conflicts: sum.Conflicts,
		Errors:    sum.Errors,
		Skipped:   map[string]int{},
	}
	if u := sum.Pushed - sum.Created - sum.DeletedRemote; u > 0 {
		p.Update = u
	}
	for k, v := range sum.Skipped {
		p.Skipped[k] = v
	}
	return p
}
