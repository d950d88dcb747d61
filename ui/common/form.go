package common

import (
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"
)

// FormTheme is the huh theme built from the app's theme, so embedded forms use the same
// colours as the screens around them (and none under NO_COLOR). A new one per form:
// huh themes are mutable.
func (s *Styles) FormTheme() *huh.Theme {
	t := s.Theme
	th := huh.ThemeBase()
	th.Focused.Base = th.Focused.Base.BorderForeground(t.Accent)
	th.Focused.Card = th.Focused.Base
	th.Focused.Title = th.Focused.Title.Foreground(t.Accent).Bold(true)
	th.Focused.NoteTitle = th.Focused.NoteTitle.Foreground(t.Accent).Bold(true)
	th.Focused.Description = th.Focused.Description.Foreground(t.Muted)
	th.Focused.ErrorIndicator = th.Focused.ErrorIndicator.Foreground(t.Error)
	th.Focused.ErrorMessage = th.Focused.ErrorMessage.Foreground(t.Error)
	th.Focused.SelectSelector = th.Focused.SelectSelector.Foreground(t.Accent)
	th.Focused.NextIndicator = th.Focused.NextIndicator.Foreground(t.Accent)
	th.Focused.PrevIndicator = th.Focused.PrevIndicator.Foreground(t.Accent)
	th.Focused.Option = th.Focused.Option.Foreground(t.Text)
	th.Focused.MultiSelectSelector = th.Focused.MultiSelectSelector.Foreground(t.Accent)
	th.Focused.SelectedOption = th.Focused.SelectedOption.Foreground(t.OK)
	th.Focused.SelectedPrefix = lipgloss.NewStyle().Foreground(t.OK).SetString("✓ ")
	th.Focused.UnselectedPrefix = lipgloss.NewStyle().Foreground(t.Muted).SetString("• ")
	th.Focused.UnselectedOption = th.Focused.UnselectedOption.Foreground(t.Text)
	th.Focused.FocusedButton = th.Focused.FocusedButton.Foreground(t.Inverse).Background(t.Accent)
	th.Focused.Next = th.Focused.FocusedButton
	th.Focused.BlurredButton = th.Focused.BlurredButton.Foreground(t.Text).Background(t.Subtle)
	th.Focused.TextInput.Cursor = th.Focused.TextInput.Cursor.Foreground(t.Accent)
	th.Focused.TextInput.Placeholder = th.Focused.TextInput.Placeholder.Foreground(t.Muted)
	th.Focused.TextInput.Prompt = th.Focused.TextInput.Prompt.Foreground(t.Accent)

	if t.NoColor {
		// Without colour the chosen button of a pair (On/Off, Yes/No) would look like the
		// other: reverse video and a marker carry the choice.
		th.Focused.FocusedButton = lipgloss.NewStyle().Reverse(true).Bold(true).Padding(0, 1).MarginRight(1).SetString("▸")
		th.Focused.BlurredButton = lipgloss.NewStyle().Padding(0, 1).MarginRight(1).SetString(" ")
		th.Focused.Next = th.Focused.FocusedButton
	}

	th.Blurred = th.Focused
	th.Blurred.Base = th.Focused.Base.BorderStyle(lipgloss.HiddenBorder())
	th.Blurred.Card = th.Blurred.Base
	th.Blurred.NextIndicator = lipgloss.NewStyle()
	th.Blurred.PrevIndicator = lipgloss.NewStyle()
	th.Group.Title = th.Focused.Title
	th.Group.Description = th.Focused.Description
	return th
}
