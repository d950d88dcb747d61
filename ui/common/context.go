package common

import (
	"time"

	"github.com/calsync/calsync/store"
)

// TabTitles are the tab labels, in tab order.
var TabTitles = [TabCount]string{"Home", "Activities", "Accounts", "Troubleshoot", "Log"}

// NewContext builds the shared context. getenv decides colours (NO_COLOR) and is what the
// screens read client IDs and endpoint overrides from; getenv and now may be nil (an empty
// environment; time.Now).
func NewContext(st *store.Store, getenv func(string) string, now func() time.Time) *Context {
	if now == nil {
		now = time.Now
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return &Context{
		Getenv:   getenv,
		Styles:   NewStyles(DefaultTheme(NoColorRequested(getenv))),
		Keys:     NewGlobalKeys(TabTitles),
		Services: Services{Store: st},
		Now:      now,
	}
}
