package sync

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav"
	"github.com/calsync/calsync/providers/caldav/caldavfake"
)

// caldavRemote runs the engine against the CalDAV fake (sync-collection, etags,
// If-Match / If-None-Match), editing events as another CalDAV client would.
type caldavRemote struct {
	fake *caldavfake.Server
	prov *faultProvider
	n    int
}

func caldavFactory(t testing.TB, now func() time.Time) remote {
	fake := caldavfake.New(caldavfake.Options{})
	fake.AddCalendar("work", "Work")
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	_, app := fake.Passwords()
	p, err := caldav.New(context.Background(), providers.Config{AccountID: "a", Kind: "caldav", Login: fake.User(),
		Endpoints: providers.Endpoints{API: srv.URL}, Secret: []byte(app), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return &caldavRemote{fake: fake, prov: &faultProvider{Provider: p}}
}

func (c *caldavRemote) Name() string                  { return "caldav" }
func (c *caldavRemote) Provider() providers.Provider  { return c.prov }
func (c *caldavRemote) SetFault(f func(string) error) { c.prov.fault = f }
func (c *caldavRemote) ExpireCursors()                { c.fake.ExpireSyncTokens() }

func icsTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

func (c *caldavRemote) UserCreate(subject string, start time.Time, d time.Duration) string {
	c.n++
	uid := fmt.Sprintf("user-%d-%d", time.Now().UnixNano(), c.n)
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//other client//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:" + icsTime(start) + "\r\nDTSTART:" + icsTime(start) + "\r\nDTEND:" + icsTime(start.Add(d)) +
		"\r\nSUMMARY:" + subject + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	href, _, err := c.fake.PutEvent("work", uid+".ics", ics)
	if err != nil {
		panic(err)
	}
	return href
}

// unfold undoes iCalendar line folding.
func unfold(ics string) []string {
	return strings.Split(strings.ReplaceAll(strings.ReplaceAll(ics, "\r\n ", ""), "\r\n\t", ""), "\r\n")
}

func (c *caldavRemote) UserEdit(id, subject string) bool {
	file := path.Base(id)
	ics, ok := c.fake.Events("work")[file]
	if !ok {
		return false
	}
	var out []string
	for _, l := range unfold(ics) {
		if strings.HasPrefix(l, "SUMMARY") {
			l = "SUMMARY:" + subject
		}
		out = append(out, l)
	}
	_, _, err := c.fake.PutEvent("work", file, strings.Join(out, "\r\n"))
	return err == nil
}

func (c *caldavRemote) UserDelete(id string) bool {
	return c.fake.DeleteEvent("work", path.Base(id)) == nil
}

func (c *caldavRemote) Live() map[string]providers.Event {
	out := map[string]providers.Event{}
	for file, ics := range c.fake.Events("work") {
		ev := providers.Event{RemoteID: c.fake.CalendarPath("work") + file}
		for _, l := range unfold(ics) {
			k, v, _ := strings.Cut(l, ":")
			switch strings.SplitN(k, ";", 2)[0] {
			case "SUMMARY":
				ev.Subject = strings.NewReplacer(`\,`, ",", `\;`, ";", `\\`, `\`).Replace(v)
			case "X-CALSYNC-ACTIVITY-ID":
				ev.ActivityID = v
			}
		}
		out[ev.RemoteID] = ev
	}
	return out
}

func TestDirectionMatrixCalDAV(t *testing.T) { runMatrix(t, caldavFactory) }

// The CalDAV fake gets a shorter model run (the issue asks for Google and Graph; this
// keeps the third protocol honest without doubling the suite's time).
func TestModelCalDAV(t *testing.T) { runModel(t, caldavFactory, modelSequences()/5, 3001) }
