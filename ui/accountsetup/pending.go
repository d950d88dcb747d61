package accountsetup

import (
	"context"
	"errors"
)

// TEMPORARY until providers/microsoft's device-code flow lands.
func (m *Manager) connectMicrosoft(ctx context.Context, d Draft, prompt func(Prompt)) (*Connection, error) {
	return nil, errors.New("Microsoft sign-in is not wired yet")
}
