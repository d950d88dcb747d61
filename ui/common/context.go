package common

import (
	"time"

	"github.com/calsync/calsync/store"
)

// TabTitles are the tab labels, in tab order.
var TabTitles = [TabCount]string{"Home", "Activities", "Accounts", "Troubleshoot", "Log"}

// NewContext builds the shared context. getenv decides colours (NO_COLOR); now may be nil
// (time.Now).
func NewContext(st *store.Store, getenv func(string) string, now func() time.Time) *Context {
	if now == nil {
		now = time.Now
	}
	return &Context{
		Styles:   NewStyles(DefaultTheme(NoColorRequested(getenv))),
		Keys:     NewGlobalKeys(TabTitles),
		Services: Services{Store: st},
		Now:      now,
	}
}
