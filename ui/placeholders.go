package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/calsync/calsync/ui/common"
	"github.com/calsync/calsync/ui/safetext"
)

// placeholder stands in for a screen a later piece of work fills. It says what the tab
// will hold and which command does the job today, and shows no invented data.
type placeholder struct {
	ctx           *common.Context
	title         string
	purpose       string
	commands      [][2]string // command, what it does
	width, height int
	// activityID is set when Troubleshoot was opened for one activity.
	activityID string
}

func newAccountsPlaceholder(c *common.Context) *placeholder {
	return &placeholder{ctx: c, title: "Accounts",
		purpose: "This tab will list your calendar accounts (Google, Microsoft 365, CalDAV) with their state, " +
			"calendars and sync settings, and let you connect, reconnect and remove them.",
		commands: [][2]string{
			{"calsync account add google|microsoft|caldav", "connect an account"},
			{"calsync account list", "accounts and their state"},
			{"calsync account reconnect ID", "sign in again"},
			{"calsync calendars --account ID", "the account's calendars"},
			{"calsync settings show|set --account ID", "calendar, direction, synced types"},
		}}
}

func newTroubleshootPlaceholder(c *common.Context) *placeholder {
	return &placeholder{ctx: c, title: "Troubleshoot",
		purpose: "This tab will walk you from a symptom (activities don't show, one-way sync, duplicates, " +
			"can't connect, permissions) to its cause, a fix and proof that it worked.",
		commands: [][2]string{
			{"calsync doctor --symptom not-showing", "check why activities don't show"},
			{"calsync doctor --activity ID", "check one activity"},
			{"calsync explain ID", "every sync decision about one activity"},
			{"calsync doctor --fix", "apply the fixes it proposes"},
		}}
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

func (p *placeholder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m, ok := msg.(common.TroubleshootActivityMsg); ok && p.title == "Troubleshoot" {
		p.activityID = m.ActivityID
	}
	return p, nil
}

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
	if p.activityID != "" {
		id := safetext.Line(p.activityID)
		b.WriteString(st.Banner.Render("You asked why activity "+id+" isn't in your calendar.") + "\n")
		b.WriteString(st.Text.Render("Run these in a shell to find out:") + "\n")
		b.WriteString("  " + st.Command.Render("calsync doctor --activity "+id) + "\n")
		b.WriteString("  " + st.Command.Render("calsync explain "+id) + "\n\n")
	}
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
