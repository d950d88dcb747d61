package activities

import "github.com/charmbracelet/bubbles/key"

// keyMap is the Activities screen's keys. None of them is a global key (1-5, tab, ?, q).
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom  key.Binding
	Detail                                   key.Binding
	Filters, Types                           key.Binding
	Owner, PickOwner, Status, Period, Search key.Binding
	Reset                                    key.Binding
	Add, Edit, Done, Delete, Why, Reload     key.Binding

	// Inside the filter bar.
	Left, Right, Toggle, Leave key.Binding
	// Inside dialogs.
	Yes, No key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, k, help string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, help))
	}
	return keyMap{
		Up:        b([]string{"up", "k"}, "↑/k", "up"),
		Down:      b([]string{"down", "j"}, "↓/j", "down"),
		PageUp:    b([]string{"pgup", "ctrl+u"}, "pgup", "page up"),
		PageDown:  b([]string{"pgdown", "ctrl+d"}, "pgdn", "page down"),
		Top:       b([]string{"home", "g"}, "g", "first"),
		Bottom:    b([]string{"end", "G"}, "G", "last"),
		Detail:    b([]string{"enter"}, "enter", "details"),
		Filters:   b([]string{"f"}, "f", "filters"),
		Types:     b([]string{"t"}, "t", "types"),
		Owner:     b([]string{"o"}, "o", "owner: me/everyone/next"),
		PickOwner: b([]string{"O"}, "O", "pick an owner"),
		Status:    b([]string{"s"}, "s", "status"),
		Period:    b([]string{"p"}, "p", "period"),
		Search:    b([]string{"/"}, "/", "search"),
		Reset:     b([]string{"R"}, "R", "reset filters"),
		Add:       b([]string{"a"}, "a", "add"),
		Edit:      b([]string{"e"}, "e", "edit"),
		Done:      b([]string{" "}, "space", "done/to do"),
		Delete:    b([]string{"d", "delete"}, "d", "delete"),
		Why:       b([]string{"w"}, "w", "why not in calendar?"),
		Reload:    b([]string{"r"}, "r", "reload"),
		Left:      b([]string{"left", "h"}, "←/h", "previous filter"),
		Right:     b([]string{"right", "l"}, "→/l", "next filter"),
		Toggle:    b([]string{" ", "enter"}, "space", "toggle"),
		Leave:     b([]string{"esc", "f"}, "esc", "back to list"),
		Yes:       b([]string{"y", "Y"}, "y", "yes"),
		No:        b([]string{"n", "N", "esc"}, "n", "no"),
	}
}
