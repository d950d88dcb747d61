package troubleshoot

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/calsync/calsync/doctor"
	"github.com/calsync/calsync/ui/common"
	"github.com/calsync/calsync/ui/safetext"
)

// The screen is drawn in four parts, top to bottom:
//
//   - the head: the symptom (or activity) asked about, fixed;
//   - the steps already passed, one line each, the oldest giving way first;
//   - the body: the step on screen (cause, action, fixes, the IT-admin note...), in a
//     viewport that scrolls (j/k, PgUp/PgDn, mouse wheel) when it does not fit;
//   - the footer: the question the keys answer ("Apply: …? y/n") and the keys, always
//     on screen whatever the scroll, so a prompt never confirms something unseen.

var statusWord = map[doctor.Status]string{
	doctor.Pass: "OK", doctor.Warn: "Note", doctor.Fail: "Problem", doctor.Skip: "Skipped", doctor.Unverified: "Could not check",
}

// lines collects wrapped, width-bounded lines.
type lines struct {
	w   int
	out []string
}

func (b *lines) line(s string) { b.out = append(b.out, common.Truncate(s, b.w)) }

// wrap writes s wrapped under prefix (which may be styled: padded by its display width).
func (b *lines) wrap(prefix, s string, style func(...string) string) {
	pad := strings.Repeat(" ", lipgloss.Width(prefix))
	for i, l := range strings.Split(common.Wrap(safetext.Clean(s), max(10, b.w-lipgloss.Width(pad))), "\n") {
		if i > 0 {
			prefix = pad
		}
		b.line(prefix + style(l))
	}
}

func (b *lines) String() string {
	if len(b.out) == 0 {
		return ""
	}
	return strings.Join(b.out, "\n") + "\n"
}

func (m *Model) status(s doctor.Status) string {
	st := m.ctx.Styles
	word := statusWord[s]
	switch s {
	case doctor.Pass:
		return st.OK.Render("✓ " + word)
	case doctor.Fail:
		return st.Error.Render("✗ " + word)
	case doctor.Warn:
		return st.Warn.Render("! " + word)
	case doctor.Unverified:
		return st.Warn.Render("? " + word)
	}
	return st.Muted.Render("- " + word)
}

// View implements tea.Model.
func (m *Model) View() string {
	st := m.ctx.Styles
	w := max(20, m.width-2)
	if m.state == statePick {
		return m.viewPicker(w)
	}

	head := &lines{w: w}
	title := doctor.SymptomTitle(doctor.All)
	if m.sess != nil {
		title = doctor.SymptomTitle(m.sess.Symptom)
	}
	if m.target != nil {
		title = fmt.Sprintf("Why isn't %q in my calendar?", safetext.Line(m.target.Subject))
	}
	head.line(st.Title.Render(title))
	if m.explain != "" {
		head.wrap("", m.explain, st.Muted.Render)
	}

	// The steps already passed; a passed step's note (something to judge, not a problem)
	// stays under it, as `calsync doctor` prints it.
	passed := &lines{w: w}
	for _, f := range m.done[:max(0, len(m.done)-1)] {
		passed.line(fmt.Sprintf("%s  %s", m.status(f.Status), st.Muted.Render(m.findingTitle(f))))
		if f.Note != "" {
			passed.wrap("      note: ", f.Note, st.Muted.Render)
		}
	}

	body, foot := &lines{w: w}, &lines{w: w}
	body.line("")
	m.viewBody(body, foot)
	if m.note != "" {
		// The outcome of the last key (saved to…, the fix was not applied…) sits above the
		// keys, where it is seen whatever the scroll.
		foot.out = append(wrapped(w, m.note, m.noteStyle().Render), foot.out...)
	}

	if m.height <= 0 {
		return head.String() + passed.String() + body.String() + foot.String()
	}
	// Room for the passed steps and the body between the fixed head and footer.
	room := m.height - len(head.out) - len(foot.out)
	if len(passed.out)+len(body.out) > room && len(passed.out) > 0 {
		// The oldest passed steps give way, down to one summary line.
		keep := max(0, room-len(body.out)-1)
		if keep < len(passed.out) {
			hidden := len(passed.out) - keep
			passed.out = append([]string{st.Muted.Render("… " + plural(countSteps(passed.out[:hidden]), "earlier step", "earlier steps"))}, passed.out[hidden:]...)
		}
	}
	bodyRoom := max(3, room-len(passed.out))
	m.vp.Width, m.vp.Height = w, bodyRoom
	m.vp.SetContent(strings.TrimSuffix(body.String(), "\n"))
	if key := m.bodyKey(); key != m.vpKey {
		// A new step or state starts at its top.
		m.vpKey = key
		m.vp.GotoTop()
	}
	if len(body.out) <= bodyRoom {
		return head.String() + passed.String() + body.String() + foot.String()
	}
	more := "↓ more below"
	switch {
	case m.vp.AtBottom():
		more = "↑ more above"
	case !m.vp.AtTop():
		more = "↑↓ more above and below"
	}
	scroll := st.Muted.Render(fmt.Sprintf("%s (%d%%) · j/k, PgUp/PgDn or the mouse wheel scroll", more, int(m.vp.ScrollPercent()*100)))
	// The scroll line takes the body's last row: the footer stays whole.
	m.vp.Height = max(1, bodyRoom-1)
	m.vp.SetContent(strings.TrimSuffix(body.String(), "\n"))
	return head.String() + passed.String() + m.vp.View() + "\n" + common.Truncate(scroll, w) + "\n" + foot.String()
}

func wrapped(w int, s string, style func(...string) string) []string {
	b := &lines{w: w}
	b.wrap("", s, style)
	return b.out
}

// countSteps counts the step lines among passed lines (a note under a step is not one).
func countSteps(ls []string) int {
	n := 0
	for _, l := range ls {
		if !strings.HasPrefix(ansi.Strip(l), " ") {
			n++
		}
	}
	return n
}

// bodyKey changes whenever the body shows something new, which scrolls it to the top.
func (m *Model) bodyKey() string {
	return fmt.Sprintf("%d/%d/%d/%d/%v", m.gen, m.state, m.step, len(m.done), m.details)
}

func (m *Model) viewPicker(w int) string {
	st := m.ctx.Styles
	b := &lines{w: w}
	b.line(st.Title.Render("What goes wrong?"))
	b.wrap("", "Pick the symptom; calsync checks the likely causes first and shows what it finds.", st.Muted.Render)
	b.line("")
	for i, s := range Choices {
		// The marker, not only the colour, shows the cursor (NO_COLOR).
		if i == m.cursor {
			b.line(st.Selected.Render("> " + doctor.SymptomTitle(s)))
		} else {
			b.line(st.Text.Render("  " + doctor.SymptomTitle(s)))
		}
	}
	b.line("")
	b.wrap("", "From the Activities tab, the \"why isn't this in my calendar?\" key opens this for one activity.", st.Muted.Render)
	if m.note != "" {
		b.line("")
		b.wrap("", m.note, m.noteStyle().Render)
	}
	return b.String()
}

func (m *Model) viewBody(b, foot *lines) {
	st := m.ctx.Styles
	total := 0
	if m.sess != nil {
		total = len(m.sess.Steps)
	}
	switch m.state {
	case stateRunning:
		if m.sess != nil && m.step < total {
			c := m.sess.Steps[m.step].Check
			b.line(fmt.Sprintf("Step %d of %d: %s", m.step+1, total, st.FilterLabel.Render(m.stepTitle(m.step))))
			b.wrap("  ", c.Explain, st.Muted.Render)
		}
		b.line(m.spin.View() + " checking…")
		foot.line(st.Muted.Render("esc: back to symptoms"))
	case stateApplying:
		b.line(m.spin.View() + " applying the fix and checking again…")
	case stateAskProbe:
		c := m.sess.Steps[m.step].Check
		b.line(fmt.Sprintf("Step %d of %d: %s", m.step+1, total, st.FilterLabel.Render(m.stepTitle(m.step))))
		b.wrap("  ", c.Explain, st.Muted.Render)
		b.wrap("  ", doctor.ProbeNotice, st.Muted.Render)
		foot.line(st.Banner.Render("Run it?") + st.Muted.Render(" y: run it · n: skip it · esc: back"))
	case stateDone:
		m.viewDone(b, foot)
	default:
		m.viewFinding(b, foot, total)
	}
}

// viewDone is the honest end: fixes applied and problems left are counted, and every
// problem left says who can act on it.
func (m *Model) viewDone(b, foot *lines) {
	st := m.ctx.Styles
	c := countStatus(m.done)
	left := problemsLeft(m.done)
	b.line(st.FilterLabel.Render("Done.") + " " + fmt.Sprintf("%s applied, %s left.", plural(m.fixed, "fix", "fixes"), plural(len(left), "problem", "problems")))
	b.line(st.Muted.Render(fmt.Sprintf("%d OK, %d notes, %d could not be checked.", c[doctor.Pass], c[doctor.Warn], c[doctor.Unverified])))
	if len(m.done) > 0 && len(left) == 0 {
		f := m.done[len(m.done)-1]
		b.line(fmt.Sprintf("%s  %s", m.status(f.Status), st.Muted.Render(m.findingTitle(f))))
	}
	for _, f := range left {
		b.line("")
		b.line(fmt.Sprintf("%s  %s", m.status(f.Status), m.findingTitle(f)))
		b.wrap("   ", f.Summary, st.Text.Render)
		b.wrap("   ", whoCanAct(f), st.Muted.Render)
	}
	h := m.handoff()
	if h.what == "the note for support" {
		b.line("")
		b.wrap("", "Still stuck? s saves a note for support (no password or token in it); `calsync bundle` writes the file to attach.", st.Muted.Render)
	}
	foot.wrap("", "s: save "+h.what+" · c: copy it · r: run again · esc: back", st.Muted.Render)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// problemsLeft are the findings still failing, or that could not be checked.
func problemsLeft(fs []doctor.Finding) []doctor.Finding {
	var out []doctor.Finding
	for _, f := range fs {
		if f.Status == doctor.Fail || f.Status == doctor.Unverified {
			out = append(out, f)
		}
	}
	return out
}

// whoCanAct says, for a finding calsync has no fix for, who can do something about it.
func whoCanAct(f doctor.Finding) string {
	if len(f.Fixes) > 0 {
		return "You can fix it here: r runs the checks again, and f applies the fix at this step."
	}
	switch f.Actor {
	case doctor.ActorAdmin:
		return "Who can act: your IT admin. s saves the note for them, c copies it."
	case doctor.ActorProvider:
		return "Who can act: the calendar provider; calsync retries by itself. If it lasts, s saves a note for support."
	case doctor.ActorUser:
		if f.Remediation != "" {
			return "Who can act: you — " + firstSentence(f.Remediation)
		}
		return "Who can act: you."
	}
	return "calsync cannot fix this by itself: s saves a note for support with what was found."
}

// firstSentence splits s after its first sentence: the plain action, the rest details.
// A full stop counts only before a space and a capital or an opening mark, and never
// inside `code`, so "e.g. the" and "`calsync.db`" do not end a sentence.
func firstSentence(s string) string {
	first, _ := splitSentence(s)
	return first
}

func splitSentence(s string) (first, rest string) {
	inCode := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '`':
			inCode = !inCode
		case '.', '?', '!':
			if inCode || i+2 >= len(s) || s[i+1] != ' ' {
				continue
			}
			if n := s[i+2]; (n >= 'A' && n <= 'Z') || n == '(' || n == '`' || n == '"' {
				return s[:i+1], strings.TrimSpace(s[i+1:])
			}
		}
	}
	return s, ""
}

func (m *Model) viewFinding(b, foot *lines, total int) {
	st := m.ctx.Styles
	f := m.current
	b.line(fmt.Sprintf("Step %d of %d: %s", m.step+1, total, st.FilterLabel.Render(m.findingTitle(f))))
	// Plain language first: the cause in a sentence, then the action; the check's
	// explanation, the evidence (IDs, HTTP codes, raw answers) and the rest of the advice
	// are one key away (e).
	b.wrap(m.status(f.Status)+"  ", f.Summary, st.Text.Render)
	if f.Note != "" {
		b.wrap("  note: ", f.Note, st.Text.Render)
	}
	action, moreAction := splitSentence(f.Remediation)
	if action != "" {
		b.wrap("  What to do: ", action, st.Text.Render)
	}
	hasDetails := len(f.Evidence) > 0 || moreAction != ""
	if c := doctor.CheckByID(f.CheckID); c != nil && c.Explain != "" {
		hasDetails = true
		if m.details {
			b.wrap("  About this check: ", c.Explain, st.Muted.Render)
		}
	}
	if m.details {
		if moreAction != "" {
			b.wrap("  More: ", moreAction, st.Text.Render)
		}
		for _, ev := range f.Evidence {
			s := "seen: " + ev.Observed
			if ev.Expected != "" {
				s += " — expected: " + ev.Expected
			}
			b.wrap("    ", s+" ("+ev.Source+")", st.Muted.Render)
		}
	}
	if (f.Status == doctor.Fail || f.Status == doctor.Unverified) && len(f.Fixes) == 0 && action == "" {
		b.wrap("  ", whoCanAct(f), st.Muted.Render)
	}
	if f.AdminNote != "" {
		m.viewAdminNote(b, f.AdminNote)
	}
	switch m.state {
	case stateResult:
		for i, fx := range f.Fixes {
			label := "fix: " + safetext.Line(fx.Title) + impactText(fx)
			if i == m.cursor && len(f.Fixes) > 1 {
				b.wrap("  > ", label, st.Selected.Render)
			} else {
				b.wrap("    ", label, st.Text.Render)
			}
			m.viewRows(b, fx)
		}
		if f.Ask != "" {
			b.wrap("  ? ", f.Ask, st.Warn.Render)
		}
		hint := "n: next step · r: check again"
		switch {
		case len(f.Fixes) > 1:
			hint = "↑/↓: choose a fix · f: apply it · " + hint
		case len(f.Fixes) == 1:
			hint = "f: apply the fix · " + hint
		}
		if hasDetails {
			if m.details {
				hint += " · e: hide details"
			} else {
				hint += " · e: details"
			}
		}
		if m.handoff().text != "" {
			hint += " · s: save note · c: copy it"
		}
		foot.wrap("", hint, st.Muted.Render)
	case stateConfirm:
		fx := m.fix
		b.line("")
		if fx.Description != "" {
			b.wrap("  ", fx.Description, st.Muted.Render)
		}
		m.viewRows(b, fx)
		if fx.Undoable {
			b.line(st.Muted.Render("  It is recorded in the journal and can be undone."))
		}
		// The question and its keys stay in the footer: never scrolled away.
		foot.wrap("", "Apply: "+safetext.Line(fx.Title)+impactText(fx)+"?", st.Banner.Render)
		if fx.Input != nil {
			foot.line(fx.Input.Label + ": " + m.input.View())
			foot.line(st.Muted.Render("enter: test it against the server, then save · esc: cancel"))
		} else {
			foot.line(st.Muted.Render("y: apply · n/esc: cancel"))
		}
	case stateVerified:
		keys := " y: yes, continue · n: no, keep looking"
		if m.fix != nil && m.fix.Undoable && m.applied != nil {
			keys += " · u: undo the fix"
		}
		foot.wrap("", st.Banner.Render("Did this fix it?")+st.Muted.Render(keys), func(s ...string) string { return strings.Join(s, "") })
	}
}

func impactText(fx *doctor.Fix) string {
	if len(fx.Impact) == 0 {
		return ""
	}
	return " (" + fx.Impact.String() + ")"
}

// viewRows lists every row a fix changes, as `calsync doctor` prints them, before the
// person is asked to apply it.
func (m *Model) viewRows(b *lines, fx *doctor.Fix) {
	for _, row := range fx.Rows {
		b.wrap("      - ", safetext.Line(row.Text), m.ctx.Styles.Text.Render)
	}
}

// viewAdminNote shows the note for the IT admin whole: its lines wrap at spaces and a web
// address is never cut (it gets a line of its own, flush left when that makes it fit; one
// wider than the screen still shows whole, over several lines, and c or s take it whole).
func (m *Model) viewAdminNote(b *lines, note string) {
	st := m.ctx.Styles
	b.line("  " + st.FilterLabel.Render("Note for your IT admin") + st.Muted.Render(" (s: save it to a file · c: copy it)"))
	const bar = "  │ "
	var clean []string
	for _, l := range strings.Split(strings.TrimRight(note, "\n"), "\n") {
		clean = append(clean, safetext.Clean(l))
	}
	for _, l := range strings.Split(common.WrapKeepURLs(strings.Join(clean, "\n"), b.w-len(bar)), "\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "http") && ansi.StringWidth(bar+l) > b.w {
			// An address too wide for the bar: flush left, hard-wrapped only if wider
			// than the whole screen.
			for _, part := range strings.Split(ansi.Hardwrap(t, b.w, false), "\n") {
				b.out = append(b.out, part)
			}
			continue
		}
		b.line(bar + l)
	}
}

// stepTitle is step i's check title, naming the account when the check runs once per
// account (otherwise "Is calendar sync switched on?" would stand three times, unexplained).
func (m *Model) stepTitle(i int) string {
	step := m.sess.Steps[i]
	title := safetext.Line(step.Check.Title)
	if step.Account != nil && m.accountCount() > 1 {
		title += " — " + safetext.Line(step.Account.Account.Name)
	}
	return title
}

// findingTitle is f's title with its account's name when several accounts are checked.
func (m *Model) findingTitle(f doctor.Finding) string {
	title := safetext.Line(f.Title)
	if f.AccountID == "" || m.sess == nil || m.accountCount() < 2 {
		return title
	}
	if a := m.account(f.AccountID); a != nil {
		return title + " — " + safetext.Line(a.Account.Name)
	}
	return title
}

// account is the session's view of account id (nil when unknown).
func (m *Model) account(id string) *doctor.AccountView {
	if m.sess == nil {
		return nil
	}
	for _, step := range m.sess.Steps {
		if step.Account != nil && step.Account.Account.ID == id {
			return step.Account
		}
	}
	for _, a := range m.sess.Accounts {
		if a.Account.ID == id {
			return a
		}
	}
	return nil
}

func (m *Model) accountCount() int {
	if m.sess == nil {
		return 0
	}
	seen := map[string]bool{}
	for _, step := range m.sess.Steps {
		if step.Account != nil {
			seen[step.Account.Account.ID] = true
		}
	}
	return len(seen)
}

func (m *Model) noteStyle() interface{ Render(...string) string } {
	if m.noteErr {
		return m.ctx.Styles.Error
	}
	return m.ctx.Styles.OK
}

func countStatus(fs []doctor.Finding) map[doctor.Status]int {
	c := map[doctor.Status]int{}
	for _, f := range fs {
		c[f.Status]++
	}
	return c
}
