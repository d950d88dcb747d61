package common

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
)

// Theme is the one palette of the app, by meaning rather than by hue. Screens never pick
// colours themselves: they use Styles, which is built from a Theme.
type Theme struct {
	Accent  lipgloss.TerminalColor // active tab, selected row, titles
	Text    lipgloss.TerminalColor
	Muted   lipgloss.TerminalColor // secondary text, help descriptions
	Subtle  lipgloss.TerminalColor // borders, separators
	OK      lipgloss.TerminalColor
	Warn    lipgloss.TerminalColor
	Error   lipgloss.TerminalColor
	Inverse lipgloss.TerminalColor // text on an Accent background
	// NoColor is true when colours are off (NO_COLOR): styles then use bold, underline and
	// reverse video where the terminal still draws them. Screens must not rely on styling
	// alone: the cursor row, the active tab and a focused item also carry a glyph.
	NoColor bool
}

// DefaultTheme is calsync's palette; with noColor every colour is lipgloss.NoColor.
func DefaultTheme(noColor bool) Theme {
	if noColor {
		n := lipgloss.NoColor{}
		return Theme{Accent: n, Text: n, Muted: n, Subtle: n, OK: n, Warn: n, Error: n, Inverse: n, NoColor: true}
	}
	return Theme{
		Accent:  lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#9D8CFF"},
		Text:    lipgloss.AdaptiveColor{Light: "#1A1A1A", Dark: "#E4E4E4"},
		Muted:   lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#8A8A8A"},
		Subtle:  lipgloss.AdaptiveColor{Light: "#C8C8C8", Dark: "#4A4A4A"},
		OK:      lipgloss.AdaptiveColor{Light: "#1E7F3C", Dark: "#5FD787"},
		Warn:    lipgloss.AdaptiveColor{Light: "#9A6200", Dark: "#F0C050"},
		Error:   lipgloss.AdaptiveColor{Light: "#B3261E", Dark: "#FF6B6B"},
		Inverse: lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#1A1A1A"},
	}
}

// NoColorRequested reports whether the environment asks for no colours (https://no-color.org:
// NO_COLOR set to anything non-empty).
func NoColorRequested(getenv func(string) string) bool {
	return getenv != nil && getenv("NO_COLOR") != ""
}

// Styles are every style the screens use, built once from the theme.
type Styles struct {
	Theme Theme

	// Root chrome.
	TabActive     lipgloss.Style
	TabInactive   lipgloss.Style
	TabRule       lipgloss.Style // the rule under the tabs
	TabRuleActive lipgloss.Style // the rule's heavy part under the active tab
	StatusBar     lipgloss.Style
	StatusInfo    lipgloss.Style
	StatusError   lipgloss.Style
	StatusBusy    lipgloss.Style
	Help          help.Styles

	// Content.
	Title       lipgloss.Style // a screen or section heading
	Text        lipgloss.Style
	Muted       lipgloss.Style
	OK          lipgloss.Style
	Warn        lipgloss.Style
	Error       lipgloss.Style
	Key         lipgloss.Style // a key name inside prose ("press w")
	Command     lipgloss.Style // a CLI command inside prose
	Banner      lipgloss.Style // "filters hide N" and similar notices that need attention
	Pane        lipgloss.Style // a bordered side or bottom pane
	Dialog      lipgloss.Style // a centred confirmation box
	TableHeader lipgloss.Style
	Selected    lipgloss.Style // the cursor row
	FilterOn    lipgloss.Style // a filter toggle that narrows the list
	FilterOff   lipgloss.Style // a filter toggle at its widest setting
	FilterLabel lipgloss.Style
}

// NewStyles builds the styles from a theme.
func NewStyles(t Theme) *Styles {
	s := &Styles{Theme: t}
	base := lipgloss.NewStyle()
	s.Text = base.Foreground(t.Text)
	s.Muted = base.Foreground(t.Muted)
	s.OK = base.Foreground(t.OK)
	s.Warn = base.Foreground(t.Warn)
	s.Error = base.Foreground(t.Error).Bold(true)
	s.Title = base.Foreground(t.Accent).Bold(true)
	s.Key = base.Foreground(t.Accent).Bold(true)
	s.Command = base.Foreground(t.Accent)

	s.TabActive = base.Foreground(t.Inverse).Background(t.Accent).Bold(true)
	s.TabInactive = base.Foreground(t.Muted)
	s.TabRule = base.Foreground(t.Subtle)
	s.TabRuleActive = base.Foreground(t.Accent)
	s.StatusBar = base.Foreground(t.Muted)
	s.StatusInfo = base.Foreground(t.OK)
	s.StatusError = base.Foreground(t.Error).Bold(true)
	s.StatusBusy = base.Foreground(t.Warn)

	s.Banner = base.Foreground(t.Warn).Bold(true)
	s.Pane = base.Border(lipgloss.RoundedBorder()).BorderForeground(t.Subtle).Padding(0, 1)
	s.Dialog = base.Border(lipgloss.DoubleBorder()).BorderForeground(t.Warn).Padding(1, 2)
	s.TableHeader = base.Foreground(t.Muted).Bold(true)
	s.Selected = base.Foreground(t.Inverse).Background(t.Accent)
	s.FilterOn = base.Foreground(t.Warn).Bold(true)
	s.FilterOff = base.Foreground(t.Muted)
	s.FilterLabel = base.Foreground(t.Text).Bold(true)

	if t.NoColor {
		// Without colour, reverse video and underline carry what colour carried.
		s.TabActive = base.Reverse(true).Bold(true)
		s.Selected = base.Reverse(true)
		s.FilterOn = base.Bold(true).Underline(true)
		s.Banner = base.Bold(true)
	}

	s.Help = help.Styles{
		Ellipsis:       s.Muted,
		ShortKey:       s.Key,
		ShortDesc:      s.Muted,
		ShortSeparator: s.Muted,
		FullKey:        s.Key,
		FullDesc:       s.Muted,
		FullSeparator:  s.Muted,
	}
	return s
}
