package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// On a terminal, `doctor --fix` offers the left-behind events' removal (a warning's fix),
// showing what it deletes first; `--fix --yes` never deletes calendar events unattended.
func TestDoctorFixOffersToRemoveEventsLeftBehind(t *testing.T) {
	c, b := buildScenario(t, "healthy")
	st := c.store()
	ctx := context.Background()
	set, err := store.GetSyncSettings(ctx, st.DB, b.Google.ID)
	if err != nil {
		t.Fatal(err)
	}
	var meetings int
	if err := st.DB.QueryRow(`SELECT count(*) FROM links l JOIN activities a ON a.id = l.activity_id
		WHERE l.account_id = ? AND l.state = 'synced' AND a.type = 'meeting' AND a.origin = 'local'`, b.Google.ID).Scan(&meetings); err != nil || meetings == 0 {
		t.Fatalf("the healthy sandbox should have synced meetings: %d %v", meetings, err)
	}
	set.Types = []store.ActivityType{store.TypeCall, store.TypeTask}
	if err := store.PutSyncSettings(ctx, st.DB, set); err != nil {
		t.Fatal(err)
	}
	linksOfMeetings := func() int {
		var n int
		st.DB.QueryRow(`SELECT count(*) FROM links l JOIN activities a ON a.id = l.activity_id
			WHERE l.account_id = ? AND a.type = 'meeting' AND a.origin = 'local'`, b.Google.ID).Scan(&n)
		return n
	}
	before := linksOfMeetings()

	rep, code := c.doctor()
	if code != exitOK {
		t.Fatalf("a warning is no problem: exit %d\n%s", code, rep)
	}
	if _, _, code := c.run("doctor", "--fix", "--yes"); code != exitOK || linksOfMeetings() != before {
		t.Fatalf("--fix --yes: exit %d, meeting links %d -> %d", code, before, linksOfMeetings())
	}

	// On a terminal: yes to the removal, no to everything else.
	var out, errb bytes.Buffer
	in := &answerer{yesTo: "remove "}
	env := &Env{Stdin: in, Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return map[string]string{"USER": "ann"}[k] }, Now: time.Now, Interactive: true}
	in.out = &out
	code = run(ctx, env, []string{"--data-dir", c.dir, "doctor", "--fix"})
	text := out.String()
	if !strings.Contains(text, "fix remove-left-behind: remove ") || !strings.Contains(text, "applied remove ") || !strings.Contains(text, "(undo: calsync doctor --undo ") {
		t.Fatalf("exit %d\n%s\n%s", code, text, errb.String())
	}
	if n := linksOfMeetings(); n != 0 {
		t.Fatalf("%d meeting links left after the removal", n)
	}
}

// answerer answers the doctor's "Apply: ...? [y/N]" prompts: yes when the question
// contains yesTo, no otherwise. It reads the question from what was written so far.
type answerer struct {
	out   *bytes.Buffer
	yesTo string
	pos   int
	buf   []byte
}

func (a *answerer) Read(p []byte) (int, error) {
	if len(a.buf) == 0 {
		text := a.out.String()
		q := text[a.pos:]
		a.pos = len(text)
		i := strings.LastIndex(q, "Apply: ")
		if i >= 0 && strings.Contains(q[i:], a.yesTo) {
			a.buf = []byte("y\n")
		} else {
			a.buf = []byte("n\n")
		}
	}
	n := copy(p, a.buf)
	a.buf = a.buf[n:]
	return n, nil
}
