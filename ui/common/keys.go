package common

import "github.com/charmbracelet/bubbles/key"

// GlobalKeys are the keys the root handles on every tab. The root appends them to the
// active screen's help, so screens must not bind these keys to anything else.
type GlobalKeys struct {
	Tabs      [TabCount]key.Binding // 1..5
	NextTab   key.Binding
	PrevTab   key.Binding
	Help      key.Binding
	Quit      key.Binding
	ForceQuit key.Binding // ctrl+c: also works while a screen captures input
}

// NewGlobalKeys returns the default global keymap. Tab titles are passed in so help reads
// "2 activities".
func NewGlobalKeys(titles [TabCount]string) *GlobalKeys {
	k := &GlobalKeys{
		NextTab:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next tab")),
		PrevTab:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous tab")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
	for i := range k.Tabs {
		n := string(rune('1' + i))
		k.Tabs[i] = key.NewBinding(key.WithKeys(n), key.WithHelp(n, titles[i]))
	}
	return k
}

// ShortHelp is what the root adds to every screen's short help.
func (k *GlobalKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.Quit}
}

// FullHelp is the global column of the full help.
func (k *GlobalKeys) FullHelp() [][]key.Binding {
	tabs := append([]key.Binding{}, k.Tabs[:]...)
	return [][]key.Binding{tabs, {k.NextTab, k.PrevTab, k.Help, k.Quit}}
}
