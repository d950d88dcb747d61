package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"github.com/calsync/calsync/store"
	calsync "github.com/calsync/calsync/sync"
	"github.com/calsync/calsync/ui/common"
	"github.com/calsync/calsync/ui/safetext"
)

// formValues are what the add/edit form edits; a new set per form run.
type formValues struct {
	editID   string // "" = a new activity
	Subject  string
	Type     string
	Owner    string
	Start    string // as typed: any form store.ParseWhen reads, in the user's zone
	Duration string
	AllDay   bool
	Location string
	Note     string
	// orig is what the form showed first (edit only): fields left as they were are not
	// written back, so hostile text the form showed cleaned is not changed by accident.
	orig *formValues
}

// cleanNote is safetext per line: a note keeps its line breaks in the form.
func cleanNote(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = safetext.Clean(l)
	}
	return strings.Join(lines, "\n")
}

// startHelp is the start field's description: the forms store.ParseWhen reads, which
// are also what `calsync activity add --start` accepts (RFC 3339 too, not named here to
// keep it on one line at 80 columns).
const startHelp = "2026-11-26 14:00, today 14:00, tomorrow 9:30, 14:00; a date alone: all day"

// parseStart reads the start field the way the CLI reads --start. A date alone (or
// "today"/"tomorrow" alone) means all day.
func parseStart(s string, loc *time.Location, now time.Time) (time.Time, bool, error) {
	t, allDay, err := store.ParseWhen(s, loc, now)
	if err != nil {
		return time.Time{}, false, errors.New("write e.g. 2026-11-26 14:00, today 14:00 or tomorrow 9:30")
	}
	return t, allDay, nil
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d%time.Minute != 0 {
		return 0, fmt.Errorf("write it as 30m, 1h or 1h30m (0 for no time)")
	}
	if d > store.MaxDuration {
		return 0, fmt.Errorf("at most 31 days")
	}
	return d, nil
}

func validSubject(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("say in a few words what the activity is")
	}
	if utf8.RuneCountInString(s) > store.MaxSubjectChars {
		return fmt.Errorf("at most %d characters; put the rest in the note", store.MaxSubjectChars)
	}
	return nil
}

// openForm starts a new form: for row nil an empty activity starting at the next full
// hour, else the row's values.
func (m *Model) openForm(row *store.ActivityRow) tea.Cmd {
	if !m.ready {
		return nil
	}
	now := m.ctx.Now().In(m.loc)
	v := &formValues{Type: string(store.TypeCall), Owner: m.meID, Duration: "30m",
		Start: now.Truncate(time.Hour).Add(time.Hour).Format("2006-01-02 15:04")}
	if row != nil {
		a := row.Activity
		// The form draws what it edits: stored text is cleaned before it gets there.
		v = &formValues{editID: a.ID, Subject: cleanLine(a.Subject), Type: string(a.Type), Owner: a.OwnerID,
			Start: a.Start.In(m.loc).Format("2006-01-02 15:04"), Duration: formatFormDuration(a.Duration),
			AllDay: a.AllDay, Location: cleanLine(a.Location), Note: cleanNote(a.Note)}
		if a.AllDay {
			v.Start = a.Start.In(m.loc).Format("2006-01-02")
		}
		orig := *v
		v.orig = &orig
	}
	loc, clock := m.loc, m.ctx.Now
	typeOpts := make([]huh.Option[string], len(store.AllTypes))
	for i, t := range store.AllTypes {
		typeOpts[i] = huh.NewOption(string(t), string(t))
	}
	var ownerOpts []huh.Option[string]
	for _, u := range m.users {
		name := cleanLine(u.Name)
		if u.IsMe {
			name += " (me)"
		}
		ownerOpts = append(ownerOpts, huh.NewOption(name, u.ID))
	}
	if len(ownerOpts) == 0 {
		ownerOpts = []huh.Option[string]{huh.NewOption("me", "")}
	}
	m.formID++
	id := m.formID
	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	m.formVals = v
	m.form = huh.NewForm(
		huh.NewGroup(
			huh.NewInput().Title("Subject").Value(&v.Subject).Validate(validSubject).CharLimit(store.MaxSubjectChars),
			huh.NewSelect[string]().Title("Type").Options(typeOpts...).Value(&v.Type),
			huh.NewSelect[string]().Title("Owner").Options(ownerOpts...).Value(&v.Owner),
		).Title("What"),
		huh.NewGroup(
			huh.NewInput().Title("Start ("+m.zone+" time)").Description(startHelp).Value(&v.Start).
				Validate(func(s string) error { _, _, err := parseStart(s, loc, clock()); return err }),
			huh.NewInput().Title("Duration").Description("30m, 1h30m; 0 for no time").Value(&v.Duration).
				Validate(func(s string) error { _, err := parseDuration(s); return err }),
			huh.NewConfirm().Title("All day?").Value(&v.AllDay),
		).Title("When"),
		huh.NewGroup(
			huh.NewInput().Title("Location").Value(&v.Location).CharLimit(store.MaxLocationChars),
			huh.NewText().Title("Note").Value(&v.Note).CharLimit(store.MaxNoteBytes),
		).Title("Details"),
	).WithKeyMap(km).WithTheme(m.ctx.Styles.FormTheme()).WithShowHelp(true).WithWidth(m.width).WithHeight(m.formHeight())
	// The defaults quit the whole program; we only close the form.
	m.form.SubmitCmd = func() tea.Msg { return formDoneMsg{id: id} }
	m.form.CancelCmd = func() tea.Msg { return formDoneMsg{id: id, cancelled: true} }
	return m.form.Init()
}

// formHeight is the form's share of the screen: all of it but the title line and its gap,
// and the blank line huh draws above its help without counting it. Miscounted, the help
// and a refused field's error fall off the bottom: enter seems to do nothing.
func (m *Model) formHeight() int { return max(8, m.height-3) }

// hiddenNote tells the person when the activity they just saved is not in the list under
// the current filters, so it does not look lost: "" when it is listed.
func hiddenNote(ctx context.Context, st *store.Store, f store.ListFilter, loc *time.Location, now time.Time, a store.Activity) string {
	// The rows at a's start time, in list order: a is among them if the filters pass it.
	before := store.ListAnchor{Start: a.Start}
	rows, err := store.ListActivitiesAfter(ctx, st.DB, f, loc, now, &before, false, 50)
	if err != nil {
		return ""
	}
	for _, r := range rows {
		if r.ID == a.ID {
			return ""
		}
		if r.Start.After(a.Start) {
			break
		}
	}
	return hiddenText
}

// hiddenText ends the status line of a write whose activity the filters hide.
const hiddenText = " — filters hide it; R shows all"

// patch holds the fields the person changed in the form.
func (v *formValues) patch(typ store.ActivityType, start time.Time, dur time.Duration) store.ActivityPatch {
	o := v.orig
	var p store.ActivityPatch
	if o == nil {
		o = &formValues{}
	}
	if v.Type != o.Type {
		p.Type = &typ
	}
	if v.Subject != o.Subject {
		p.Subject = &v.Subject
	}
	if v.Note != o.Note {
		p.Note = &v.Note
	}
	if v.Location != o.Location {
		p.Location = &v.Location
	}
	if v.Start != o.Start || v.AllDay != o.AllDay {
		p.Start = &start
	}
	if v.Duration != o.Duration {
		p.Duration = &dur
	}
	if v.AllDay != o.AllDay {
		p.AllDay = &v.AllDay
	}
	if v.Owner != o.Owner {
		p.OwnerID = &v.Owner
	}
	return p
}

func formatFormDuration(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	s := d.String() // "1h30m0s"
	s = strings.TrimSuffix(s, "0s")
	return s
}

func (m *Model) updateForm(msg tea.Msg) tea.Cmd {
	next, cmd := m.form.Update(msg)
	if f, ok := next.(*huh.Form); ok {
		m.form = f
	}
	return cmd
}

// formDone closes the form and, when it was submitted, writes the activity.
func (m *Model) formDone(msg formDoneMsg) (tea.Model, tea.Cmd) {
	if m.form == nil || msg.id != m.formID {
		return m, nil
	}
	v := m.formVals
	m.form, m.formVals = nil, nil
	if msg.cancelled {
		return m, common.Status("Nothing saved")
	}
	start, dateOnly, err := parseStart(v.Start, m.loc, m.ctx.Now())
	if err != nil {
		return m, common.StatusErr(fmt.Errorf("start: %w", err))
	}
	// A date typed alone means all day, as on the command line; an edit that leaves the
	// start as it was keeps what the "All day?" question says.
	if dateOnly && (v.orig == nil || v.Start != v.orig.Start) {
		v.AllDay = true
	}
	dur, err := parseDuration(v.Duration)
	if err != nil {
		return m, common.StatusErr(fmt.Errorf("duration: %w", err))
	}
	st, now, zone, loc := m.store(), m.ctx.Now(), m.zone, m.loc
	f := m.filter
	f.Types = slices.Clone(f.Types)
	subject := cleanLine(v.Subject)
	typ := store.ActivityType(v.Type)
	write := func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
		defer cancel()
		if v.editID == "" {
			a, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{OwnerID: v.Owner, Type: typ,
				Subject: v.Subject, Note: v.Note, Location: v.Location, Start: start, TimeZone: zone,
				Duration: dur, AllDay: v.AllDay}, now)
			if err != nil {
				return writeMsg{err: fmt.Errorf("could not add “%s”: %w", subject, err)}
			}
			// Where the new activity sits in the list, so the cursor can go there; when the
			// filters hide it, the status line says so instead.
			pos, listed, err := store.ListPosition(ctx, st.DB, f, loc, now, a.ID)
			if err != nil {
				return writeMsg{what: "Added " + quoted(subject), id: a.ID}
			}
			if !listed {
				return writeMsg{what: "Added " + quoted(subject) + hiddenText, id: a.ID}
			}
			return writeMsg{what: "Added " + quoted(subject), id: a.ID, goTo: true, pos: pos}
		}
		// An occurrence its calendar will not take a change to is refused before anything
		// changes, instead of leaving a change that fails every later sync.
		if why, err := calsync.EditRefusal(ctx, st.DB, v.editID); err == nil && why != "" {
			return writeMsg{err: fmt.Errorf("“%s” cannot be changed here: %s", subject, why)}
		}
		a, err := store.UpdateActivity(ctx, st.DB, v.editID, v.patch(typ, start, dur), now)
		if err != nil {
			return writeMsg{err: fmt.Errorf("could not save “%s”: %w", subject, err)}
		}
		return writeMsg{what: "Saved " + quoted(subject) + hiddenNote(ctx, st, f, loc, now, a), id: v.editID}
	}
	return m, tea.Sequence(common.Busy(busyKey, true), write)
}
