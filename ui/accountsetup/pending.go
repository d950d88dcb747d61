package accountsetup

import (
	"context"
	"errors"

	"github.com/calsync/calsync/store"
)

// TEMPORARY until providers/google, providers/microsoft and sync.Engine land.

func (m *Manager) connectOAuth(ctx context.Context, d Draft, prompt func(Prompt)) (*Connection, error) {
	return nil, errors.New("OAuth sign-in is not wired yet")
}

// Preview dry-runs the first sync with s.
func (m *Manager) Preview(ctx context.Context, s store.SyncSettings) (Preview, error) {
	return Preview{}, errors.New("preview is not wired yet")
}
