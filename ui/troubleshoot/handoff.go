package troubleshoot

import (
	"fmt"
	"os"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/calsync/calsync/doctor"
	"github.com/calsync/calsync/ui/common"
	"github.com/calsync/calsync/ui/safetext"
)

// A hand-off is text the person sends to someone who can act: the note for the IT admin
// (a finding's AdminNote) or a note for support (what was found, what is left). s saves it
// in the data directory under a name that says what it is; c copies it (OSC 52).
type handoff struct {
	what string // for sentences: "the note for your IT admin"
	file string // the file name in the data directory
	text string
}

// handoff is the hand-off the screen offers now (text "" when none): the admin note of
// the finding shown; at the end, or on a problem nobody here can fix, the support note.
func (m *Model) handoff() handoff {
	switch m.state {
	case stateResult, stateConfirm, stateVerified:
		f := m.current
		if f.AdminNote != "" {
			return m.adminNote(f)
		}
		if m.state == stateResult && (f.Status == doctor.Fail || f.Status == doctor.Unverified) && len(f.Fixes) == 0 && f.Actor != doctor.ActorUser {
			return m.supportNote()
		}
	case stateDone:
		// An admin's approval is what most often remains: their note first.
		for _, f := range problemsLeft(m.done) {
			if f.AdminNote != "" {
				return m.adminNote(f)
			}
		}
		return m.supportNote()
	}
	return handoff{}
}

func (m *Model) adminNote(f doctor.Finding) handoff {
	about := f.AccountID
	if a := m.account(f.AccountID); a != nil && a.Account.Login != "" {
		about = a.Account.Login
	}
	return handoff{what: "the note for your IT admin", file: common.HandoffFileName("admin-note", about), text: f.AdminNote}
}

// supportNote is a message for calsync support: the symptom, the problems found (already
// scrubbed of secrets by the doctor's redactor, as on screen), the fixes applied, and the
// bundle to attach. It holds no password or token.
func (m *Model) supportNote() handoff {
	sym := doctor.All
	if m.sess != nil {
		sym = m.sess.Symptom
	}
	var b strings.Builder
	b.WriteString("Hello,\n\n")
	fmt.Fprintf(&b, "calsync's troubleshooting could not solve this for me: %q.\n", doctor.SymptomTitle(sym))
	if m.target != nil {
		fmt.Fprintf(&b, "It is about the activity %q.\n", safetext.Line(m.target.Subject))
	}
	fmt.Fprintf(&b, "Checked on %s; %s applied.\n", m.ctx.Now().UTC().Format("2006-01-02 15:04 MST"), plural(m.fixed, "fix", "fixes"))
	fs := problemsLeft(m.done)
	if m.state == stateResult && !containsFinding(fs, m.current) {
		fs = append(fs, m.current)
	}
	if len(fs) == 0 {
		b.WriteString("\nNo check found a problem, yet it still does not work.\n")
	} else {
		b.WriteString("\nWhat it found:\n")
	}
	for _, f := range fs {
		fmt.Fprintf(&b, "- %s (%s, check %s)\n  %s\n", safetext.Line(m.findingTitle(f)), statusWord[f.Status], f.CheckID, safetext.Line(f.Summary))
		for _, ev := range f.Evidence {
			s := "seen: " + safetext.Line(ev.Observed)
			if ev.Expected != "" {
				s += "; expected: " + safetext.Line(ev.Expected)
			}
			fmt.Fprintf(&b, "  %s (%s)\n", s, safetext.Line(ev.Source))
		}
	}
	b.WriteString("\nI attach the file `calsync bundle` writes (it holds no password or token).\n\nThank you!\n")
	return handoff{what: "the note for support", file: common.HandoffFileName("support-note", string(sym)), text: b.String()}
}

func containsFinding(fs []doctor.Finding, f doctor.Finding) bool {
	for _, x := range fs {
		if x.CheckID == f.CheckID && x.AccountID == f.AccountID {
			return true
		}
	}
	return false
}

type handoffMsg struct {
	what, path, said string
	copied           bool
	err              error
}

// save writes the hand-off to the data directory, in a command (file I/O).
func (m *Model) save(h handoff) tea.Cmd {
	dir := ""
	if m.env != nil && m.env.Store != nil {
		dir = m.env.Store.Dir
	} else if m.ctx.Services.Store != nil {
		dir = m.ctx.Services.Store.Dir
	}
	return func() tea.Msg {
		path, err := common.SaveHandoff(dir, h.file, h.text)
		return handoffMsg{what: h.what, path: path, err: err}
	}
}

// copyOut puts the hand-off on the clipboard through the terminal, in a command.
func (m *Model) copyOut(h handoff) tea.Cmd {
	out := m.ctx.Terminal
	if out == nil {
		out = os.Stdout
	}
	getenv := m.ctx.Getenv
	return func() tea.Msg {
		said, err := common.CopyToClipboard(out, getenv, h.text)
		return handoffMsg{what: h.what, copied: true, said: said, err: err}
	}
}

func (m *Model) handoffDone(msg handoffMsg) {
	switch {
	case msg.err != nil && msg.copied:
		m.note, m.noteErr = "Could not copy "+msg.what+": "+msg.err.Error(), true
	case msg.err != nil:
		m.note, m.noteErr = "Could not save "+msg.what+": "+msg.err.Error(), true
	case msg.copied:
		m.note, m.noteErr = msg.said, false
	default:
		m.note, m.noteErr = "Saved "+msg.what+" to "+msg.path+" (only you can read it).", false
	}
}
