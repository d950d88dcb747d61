package caldav_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav"
	"github.com/calsync/calsync/providers/caldav/caldavfake"
	"github.com/calsync/calsync/providers/caldav/radicaletest"
	"github.com/calsync/calsync/providers/conformance"
)

func foreignICS(uid, subject string, start, end time.Time) string {
	f := "20060102T150405Z"
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other client//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:" + start.UTC().Format(f) + "\r\nDTEND:" + end.UTC().Format(f) +
		"\r\nSUMMARY:" + subject + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// seriesICS is a daily series written the way desktop clients write it: local times
// with a TZID and the VTIMEZONE it names.
func seriesICS(uid, subject string, start time.Time, dur time.Duration, count int) string {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	f := "20060102T150405"
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other client//EN\r\n" +
		"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n" +
		"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" +
		"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n" +
		"END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART;TZID=Europe/Berlin:" + start.In(berlin).Format(f) + "\r\nDTEND;TZID=Europe/Berlin:" + start.Add(dur).In(berlin).Format(f) +
		"\r\nRRULE:FREQ=DAILY;COUNT=" + fmt.Sprint(count) + "\r\nSUMMARY:" + subject + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

func TestConformanceRadicale(t *testing.T) {
	srv := radicaletest.Start(t, radicaletest.Options{Rights: radicaletest.OwnerRights})
	var n atomic.Int64
	conformance.Run(t, conformance.Harness{Name: "caldav-radicale", New: func(t *testing.T) *conformance.Env {
		name := fmt.Sprintf("c%d", n.Add(1))
		cal := srv.MakeCalendar(t, srv.User, srv.Password, name, "Conformance "+name)
		p := openRadicale(t, srv, srv.User, srv.Password)
		return &conformance.Env{
			Provider: p,
			Calendar: cal,
			Inject: func(f conformance.Fault) error {
				switch f {
				case conformance.ReadOnlyCalendar:
					// A real 403 from Radicale's rights check: alice may only read this calendar.
					srv.SetRights(t, "[ro]\nuser: alice\ncollection: alice/"+name+"(/.*)?\npermissions: r\n"+radicaletest.OwnerRights)
					t.Cleanup(func() { srv.SetRights(t, radicaletest.OwnerRights) })
				case conformance.ExpiredCursor:
					// Radicale's token is a hash of the collection state: it only looks the
					// old token up (and answers 403 DAV:valid-sync-token when its history
					// is gone) once something changed. So prune the history and change.
					srv.ForgetSyncTokens(t, srv.User, name)
					uid := fmt.Sprintf("after-prune-%d", time.Now().UnixNano())
					now := time.Now().Add(time.Hour)
					putRaw(t, srv.URL+cal+uid+".ics", srv.User, srv.Password, foreignICS(uid, "Changed after pruning", now, now.Add(time.Hour)))
				case conformance.RevokedRefreshToken:
					// A password account's equivalent: the stored password stopped working.
					old := srv.Password
					srv.SetPassword(t, srv.User, "changed-elsewhere")
					t.Cleanup(func() { srv.SetPassword(t, srv.User, old) })
				default:
					// Radicale cannot rate-limit, fail with 5xx or demand an app password;
					// caldavfake covers those.
					return conformance.ErrUnsupported
				}
				return nil
			},
			AddForeign: func(subject string, start, end time.Time) (string, error) {
				uid := fmt.Sprintf("foreign-%d", time.Now().UnixNano())
				putRaw(t, srv.URL+cal+uid+".ics", srv.User, srv.Password, foreignICS(uid, subject, start, end))
				return cal + uid + ".ics", nil
			},
			AddSeries: func(subject string, start time.Time, dur time.Duration, count int) (string, error) {
				uid := fmt.Sprintf("series-%d", time.Now().UnixNano())
				putRaw(t, srv.URL+cal+uid+".ics", srv.User, srv.Password, seriesICS(uid, subject, start, dur, count))
				return cal + uid + ".ics", nil
			},
			DeleteForeign: func(remoteID string) error {
				req, _ := http.NewRequest(http.MethodDelete, srv.URL+remoteID, nil)
				req.SetBasicAuth(srv.User, srv.Password)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return err
				}
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					return fmt.Errorf("DELETE %s: HTTP %d", remoteID, resp.StatusCode)
				}
				return nil
			},
		}
	}})
}

// icloudTransport sends requests for caldav.icloud.com to a fake on loopback, so the
// provider sees (and classifies by) the real iCloud host name.
type icloudTransport struct{ addr string }

func (tr icloudTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	if strings.HasSuffix(r2.URL.Hostname(), "icloud.com") {
		r2.URL.Scheme, r2.URL.Host = "http", tr.addr
	}
	return http.DefaultTransport.RoundTrip(r2)
}

func fakeHarness(opts caldavfake.Options) conformance.Harness {
	return conformance.Harness{Name: "caldav-fake", New: func(t *testing.T) *conformance.Env {
		fake := caldavfake.New(opts)
		base, err := fake.Start("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fake.Close() })
		cal := fake.AddCalendar("work", "Work")
		_, app := fake.Passwords()
		cfg := providers.Config{Kind: "caldav", Login: fake.User(), Secret: []byte(app), Endpoints: providers.Endpoints{API: base}}
		if opts.Style == caldavfake.ICloud {
			cfg.Endpoints.API = "https://caldav.icloud.com"
			cfg.HTTPClient = &http.Client{Transport: icloudTransport{addr: strings.TrimPrefix(base, "http://")}}
		}
		p, err := caldav.New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return &conformance.Env{
			Provider: p,
			Calendar: cal,
			Inject: func(f conformance.Fault) error {
				switch f {
				case conformance.RevokedRefreshToken:
					if opts.Style == caldavfake.ICloud {
						// iCloud answers a revoked app password with the same bare 401 as a
						// normal password; calsync reports AppPasswordRequired for both (the
						// fix is the same: create a new app-specific password), see
						// TestICloudBare401IsAppPasswordRequired.
						return conformance.ErrUnsupported
					}
					fake.SetAppPassword("a-new-app-password")
				case conformance.MFARequired:
					fake.RequireNewAppPassword()
				case conformance.ReadOnlyCalendar:
					fake.SetReadOnly("work", true)
				case conformance.RateLimit:
					fake.RateLimit(30 * time.Second)
				case conformance.ServerError:
					fake.Fail(http.StatusInternalServerError, 0)
				case conformance.ExpiredCursor:
					if opts.NoSyncCollection {
						return conformance.ErrUnsupported // etag snapshots in the cursor cannot expire
					}
					fake.ExpireSyncTokens()
				default:
					return conformance.ErrUnsupported // no OAuth in CalDAV
				}
				return nil
			},
			AddForeign: func(subject string, start, end time.Time) (string, error) {
				uid := fmt.Sprintf("foreign-%d", time.Now().UnixNano())
				href, _, err := fake.PutEvent("work", uid+".ics", foreignICS(uid, subject, start, end))
				return href, err
			},
			AddSeries: func(subject string, start time.Time, dur time.Duration, count int) (string, error) {
				uid := fmt.Sprintf("series-%d", time.Now().UnixNano())
				href, _, err := fake.PutEvent("work", uid+".ics", seriesICS(uid, subject, start, dur, count))
				return href, err
			},
		}
	}}
}

func TestConformanceFakeNextcloudStyle(t *testing.T) {
	conformance.Run(t, fakeHarness(caldavfake.Options{}))
}

// Servers without RFC 6578: increments come from comparing etags.
func TestConformanceFakeWithoutSyncCollection(t *testing.T) {
	h := fakeHarness(caldavfake.Options{NoSyncCollection: true})
	conformance.Run(t, h)
}

// sync-collection truncated with 507 every 2 members: the client must continue. iCloud
// style: a refused password is a bare 401, AppPasswordRequired only because of the host.
func TestConformanceFakeICloudTruncatedSync(t *testing.T) {
	conformance.Run(t, fakeHarness(caldavfake.Options{SyncPageSize: 2, Style: caldavfake.ICloud}))
}
