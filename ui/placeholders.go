package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/calsync/calsync/ui/common"
)

// placeholder stands in for a screen a later piece of work fills. It says what the tab
// will hold and which command does the job today, and shows no invented data.
type placeholder struct {
	ctx           *common.Context
	title         string
	purpose       string
	commands      [][2]string // command, what it does
	width, height int
}

func newLogPlaceholder(c *common.Context) *placeholder {
	return &placeholder{ctx: c, title: "Log",
		purpose: "This tab will show the sync journal: every push, pull, skip, conflict and error, " +
			"with the reason, newest first.",
		commands: [][2]string{
			{"calsync sync", "run a sync and print what it did"},
			{"calsync explain ID", "the journal for one activity"},
		}}
}

func (p *placeholder) Init() tea.Cmd { return nil }

func (p *placeholder) Update(msg tea.Msg) (tea.Model, tea.Cmd) { return p, nil }

func (p *placeholder) SetSize(w, h int)          { p.width, p.height = w, h }
func (p *placeholder) ShortHelp() []key.Binding  { return nil }
func (p *placeholder) FullHelp() [][]key.Binding { return nil }
func (p *placeholder) Title() string             { return p.title }

func (p *placeholder) View() string {
	st := p.ctx.Styles
	w := max(20, p.width-4)
	var b strings.Builder
	b.WriteString(st.Title.Render(p.title) + st.Muted.Render(" — not in the app yet") + "\n\n")
	b.WriteString(st.Text.Render(common.Wrap(p.purpose, w)) + "\n\n")
	b.WriteString(st.Text.Render("Today, from a shell:") + "\n")
	cw := 0
	for _, c := range p.commands {
		cw = max(cw, len(c[0]))
	}
	for _, c := range p.commands {
		b.WriteString("  " + st.Command.Render(common.Fit(c[0], cw)) + "  " + st.Muted.Render(c[1]) + "\n")
	}
	return b.String()
}
