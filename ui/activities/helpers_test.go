package activities

import (
	"context"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
)

func TestMain(m *testing.M) {
	// Golden files and string assertions see text, not colour codes.
	lipgloss.SetColorProfile(termenv.Ascii)
	searchDebounce = 0
	code := m.Run()
	if bigStore != nil { // the benchmarks' 100,000-activity store
		bigStore.Close()
		os.RemoveAll(bigStore.Dir)
	}
	os.Exit(code)
}

// testNow is a Wednesday morning.
var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

type fixture struct {
	st        *store.Store
	me, other store.User
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := store.SetUserTimeZone(ctx, st.DB, "UTC"); err != nil {
		t.Fatal(err)
	}
	me, err := store.EnsureMe(ctx, st.DB, "Ana", testNow)
	if err != nil {
		t.Fatal(err)
	}
	other, err := store.CreateUser(ctx, st.DB, store.User{ID: "u-bo", Name: "Bo", CreatedAt: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, me: me, other: other}
}

func (f *fixture) add(t testing.TB, owner string, typ store.ActivityType, subject string, start time.Time) store.Activity {
	t.Helper()
	a, err := store.CreateActivity(context.Background(), f.st.DB, store.ActivityInput{
		OwnerID: owner, Type: typ, Subject: subject, Start: start, TimeZone: "UTC", Duration: 30 * time.Minute,
	}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// addMany stores n activities of one owner and type, an hour apart from start.
func (f *fixture) addMany(t testing.TB, n int, owner string, typ store.ActivityType, prefix string, start time.Time) {
	t.Helper()
	ins := make([]store.ActivityInput, n)
	for i := range ins {
		ins[i] = store.ActivityInput{OwnerID: owner, Type: typ, Subject: prefix + " " + strconv.Itoa(i),
			Start: start.Add(time.Duration(i) * time.Hour), TimeZone: "UTC", Duration: 30 * time.Minute}
	}
	if _, err := store.CreateActivities(context.Background(), f.st.DB, ins, testNow); err != nil {
		t.Fatal(err)
	}
}

func testContext(st *store.Store) *common.Context {
	c := common.NewContext(st, func(string) string { return "" }, func() time.Time { return testNow })
	c.Width, c.Height = 100, 30
	return c
}

// open builds the screen on f's store at w x h and runs its start-up commands.
func open(t testing.TB, f *fixture, w, h int) (*Model, *outbox) {
	t.Helper()
	m := New(testContext(f.st))
	m.SetSize(w, h)
	out := &outbox{}
	out.drive(t, m, m.Init())
	return m, out
}

// outbox collects the messages a screen sends to the root.
type outbox struct{ msgs []tea.Msg }

func (o *outbox) statuses() []common.StatusMsg {
	var s []common.StatusMsg
	for _, m := range o.msgs {
		if st, ok := m.(common.StatusMsg); ok {
			s = append(s, st)
		}
	}
	return s
}

func (o *outbox) lastStatus() string {
	s := o.statuses()
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1].Text
}

// cmdTimeout: a command that has not answered by then is a timer (cursor blink) and is
// dropped; store reads on test data answer in milliseconds.
// Long enough for a store read on a loaded CI machine; huh's blinking cursor (a timer on
// every key in a form) costs this much per key in the form tests.
const cmdTimeout = 500 * time.Millisecond

// drive runs cmd and every command that follows from it, the way the Bubble Tea runtime
// would, feeding the screen its own messages and keeping those meant for the root.
func (o *outbox) drive(t testing.TB, m *Model, cmd tea.Cmd) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 500 {
			t.Fatal("commands keep coming: a loop?")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		ch := make(chan tea.Msg, 1)
		go func() { ch <- c() }()
		var msg tea.Msg
		select {
		case msg = <-ch:
		case <-time.After(cmdTimeout):
			continue
		}
		if msg == nil {
			continue
		}
		if b, ok := msg.(tea.BatchMsg); ok {
			queue = append(queue, b...)
			continue
		}
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
			for i := 0; i < v.Len(); i++ { // tea.Sequence
				queue = append(queue, v.Index(i).Interface().(tea.Cmd))
			}
			continue
		}
		switch msg.(type) {
		case tea.QuitMsg, common.StatusMsg, common.BusyMsg, common.TroubleshootActivityMsg, common.SwitchTabMsg, common.DataChangedMsg:
			o.msgs = append(o.msgs, msg)
			continue
		}
		_, next := m.Update(msg)
		queue = append(queue, next)
	}
}

// press sends keys ("enter", "esc", "space", "down", "up", "end", "home", "pgdown" or
// literal runes) one by one and runs what follows.
func (o *outbox) press(t testing.TB, m *Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		_, cmd := m.Update(keyMsg(k))
		o.drive(t, m, cmd)
	}
}

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "end":
		return tea.KeyMsg{Type: tea.KeyEnd}
	case "home":
		return tea.KeyMsg{Type: tea.KeyHome}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}
