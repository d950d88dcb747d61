package accountsetup

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

func TestPickerOffersEveryProviderInOrder(t *testing.T) {
	var labels []string
	for _, c := range Choices() {
		labels = append(labels, c.Label)
	}
	want := []string{"Google Calendar", "Microsoft 365 / Outlook.com / Exchange Online", "iCloud", "Fastmail", "Nextcloud", "Other CalDAV server"}
	if strings.Join(labels, "|") != strings.Join(want, "|") {
		t.Fatalf("picker = %q, want %q", labels, want)
	}
	for _, c := range Choices() {
		if c.Guide == "" {
			t.Errorf("%s has no guide", c.ID)
		}
		if c.IsCalDAV() && c.Auth != AuthPassword {
			t.Errorf("%s: CalDAV must use a password", c.ID)
		}
	}
	ms, _ := ChoiceByID("microsoft")
	if ms.Auth != AuthDeviceCode || !strings.Contains(ms.Guide, "not a password") {
		t.Errorf("Microsoft must sign in with a device code and say Exchange uses no password: %+v", ms)
	}
}

func TestChoiceForServerRecognisesKnownHosts(t *testing.T) {
	cases := map[string]string{
		"https://caldav.icloud.com":                "icloud",
		"https://p42-caldav.icloud.com/123/":       "icloud",
		"https://caldav.fastmail.com/dav/":         "fastmail",
		"https://cloud.example.org/remote.php/dav": "nextcloud",
		"http://127.0.0.1:5232/":                   "caldav",
		"not a url":                                "caldav",
	}
	for in, want := range cases {
		if got := ChoiceForServer(in).ID; got != want {
			t.Errorf("ChoiceForServer(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestValidators(t *testing.T) {
	bad := []string{"", "ftp://x", "https://user:pw@dav.example.com", "https://", "  "}
	for _, s := range bad {
		if ValidateServerURL(s) == nil {
			t.Errorf("ValidateServerURL(%q) accepted", s)
		}
	}
	if err := ValidateServerURL(" https://dav.example.com/ "); err != nil {
		t.Errorf("good URL refused: %v", err)
	}
	// A bare host, as people type it, is an https address (it was refused as "not an
	// address"); an explicit http:// stays http.
	for in, want := range map[string]string{"cloud.example.com": "https://cloud.example.com",
		" cloud.example.com/remote.php/dav ": "https://cloud.example.com/remote.php/dav",
		"http://127.0.0.1:5232/":             "http://127.0.0.1:5232/"} {
		if err := ValidateServerURL(in); err != nil {
			t.Errorf("ValidateServerURL(%q): %v", in, err)
		}
		if got := NormalizeServerURL(in); got != want {
			t.Errorf("NormalizeServerURL(%q) = %q, want %q", in, got, want)
		}
	}
	if err := ValidatePassword("hunter2\n"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("password with newline: %v (must refuse without echoing)", err)
	}
	if ValidatePassword("") == nil || ValidateUsername("  ") == nil || ValidateClientID("a b") == nil {
		t.Error("empty or malformed values accepted")
	}
}

func TestMissingScopesNamesTheUntickedBox(t *testing.T) {
	granted := SplitScopes("openid https://www.googleapis.com/auth/userinfo.email")
	missing := MissingScopes(NeededScopes("google"), granted)
	if len(missing) != 1 || missing[0] != "https://www.googleapis.com/auth/calendar" {
		t.Fatalf("missing = %q", missing)
	}
	msg := MissingScopeMessage("google", missing)
	if !strings.Contains(msg, "Calendar access was not granted") ||
		!strings.Contains(msg, "tick 'See, edit, share and permanently delete all the calendars") {
		t.Errorf("message does not name the box: %s", msg)
	}
	if m := MissingScopes(NeededScopes("google"), []string{"https://www.googleapis.com/auth/calendar"}); len(m) != 0 {
		t.Errorf("full grant reported missing %q", m)
	}
	// Graph returns scopes prefixed; case differs between tenants.
	ms := MissingScopes(NeededScopes("microsoft"), SplitScopes("https://graph.microsoft.com/calendars.readwrite https://graph.microsoft.com/User.Read offline_access"))
	if len(ms) != 0 {
		t.Errorf("Graph grant with prefix reported missing %q", ms)
	}
	ms = MissingScopes(NeededScopes("microsoft"), SplitScopes("https://graph.microsoft.com/Calendars.Read offline_access"))
	if len(ms) != 1 || ms[0] != "Calendars.ReadWrite" {
		t.Errorf("read-only Graph grant: missing %q", ms)
	}
	if !strings.Contains(MissingScopeMessage("microsoft", ms), "Have full access to your calendars") {
		t.Error("Microsoft message does not name the permission")
	}
}

func TestExplainICloudRefusedPassword(t *testing.T) {
	icloud, _ := ChoiceByID("icloud")
	err := &providers.Error{Kind: providers.AuthExpired, Provider: "caldav", Status: 401}
	a := Explain(icloud, err, nil)
	want := "iCloud refused the password. Accounts with two-factor authentication need an app-specific password: appleid.apple.com -> Sign-In and Security -> App-Specific Passwords."
	if a.Kind != providers.AppPasswordRequired || a.Text != want {
		t.Fatalf("got %+v\nwant text %q", a, want)
	}
	nc, _ := ChoiceByID("nextcloud")
	a = Explain(nc, &providers.Error{Kind: providers.AppPasswordRequired, Provider: "caldav", Status: 401, Code: "PasswordLoginForbidden"}, nil)
	if !strings.Contains(a.Text, "Nextcloud refused the password") || !strings.Contains(a.Text, "Devices & sessions") {
		t.Errorf("Nextcloud: %s", a.Text)
	}
	other, _ := ChoiceByID("caldav")
	a = Explain(other, &providers.Error{Kind: providers.AuthExpired, Provider: "caldav", Status: 401}, nil)
	if !strings.Contains(a.Text, "user name or password") {
		t.Errorf("plain server: %s", a.Text)
	}
}

func TestExplainOtherKinds(t *testing.T) {
	g, _ := ChoiceByID("google")
	cases := []struct {
		err  error
		want string
	}{
		{&providers.Error{Kind: providers.InsufficientScope, Provider: "google"}, "tick 'See, edit, share"},
		{&providers.Error{Kind: providers.AdminBlocked, Provider: "microsoft", Code: "AADSTS90094"}, "AADSTS90094"},
		{&providers.Error{Kind: providers.RateLimited, Provider: "google", RetryAfter: 30 * time.Second}, "30s"},
		{&providers.Error{Kind: providers.Network, Provider: "google"}, "Could not reach"},
		{&providers.Error{Kind: providers.Unavailable, Provider: "google", Status: 503}, "HTTP 503"},
		{ErrCancelled, "cancelled"},
		{&providers.Error{Kind: providers.AuthExpired, Provider: "microsoft", Code: "expired_token"}, "code expired before it was entered"},
		{&providers.Error{Kind: providers.InsufficientScope, Provider: "microsoft", Code: "authorization_declined"}, "The sign-in was declined"},
		{errors.New("plain\nerror"), "plain error"},
	}
	for _, c := range cases {
		if a := Explain(g, c.err, nil); !strings.Contains(a.String(), c.want) {
			t.Errorf("Explain(%v) = %q, want it to contain %q", c.err, a, c.want)
		}
	}
}

func TestReadOnlyCalendarRefusedForWritingDirections(t *testing.T) {
	ro := store.Calendar{RemoteID: "holidays", Name: "Holidays", ReadOnly: true, HasEvents: true}
	rw := store.Calendar{RemoteID: "work", Name: "Work", HasEvents: true}
	if ds := DirectionsFor(ro); len(ds) != 1 || ds[0].Value != store.DirFromCalendar {
		t.Fatalf("read-only calendar offers %v", ds)
	}
	if ds := DirectionsFor(rw); len(ds) != 3 {
		t.Fatalf("writable calendar offers %v", ds)
	}
	s := store.SyncSettings{AccountID: "a1", CalendarID: "holidays", Direction: store.DirTwoWay,
		Types: []store.ActivityType{store.TypeMeeting}, ImportType: store.TypeMeeting, Enabled: true}
	err := ValidateSettings(s, []store.Calendar{ro, rw})
	if err == nil || !strings.Contains(err.Error(), `"Holidays" is read-only`) || !strings.Contains(err.Error(), "from-calendar") {
		t.Fatalf("two-way on read-only: %v", err)
	}
	s.Direction = store.DirFromCalendar
	if err := ValidateSettings(s, []store.Calendar{ro, rw}); err != nil {
		t.Fatalf("from-calendar on read-only refused: %v", err)
	}
	s.CalendarID = "gone"
	if err := ValidateSettings(s, []store.Calendar{ro, rw}); err == nil || !strings.Contains(err.Error(), "calsync calendars --account a1") {
		t.Fatalf("unknown calendar: %v", err)
	}
	s.CalendarID = ""
	if err := ValidateSettings(s, nil); err == nil {
		t.Fatal("enabled without calendar accepted")
	}
}

func TestParseTypes(t *testing.T) {
	ts, err := ParseTypes("call, Meeting,call")
	if err != nil || len(ts) != 2 || ts[0] != store.TypeCall || ts[1] != store.TypeMeeting {
		t.Fatalf("ParseTypes = %v, %v", ts, err)
	}
	if _, err := ParseTypes("call,party"); err == nil || !strings.Contains(err.Error(), `"party"`) {
		t.Fatalf("unknown type: %v", err)
	}
	if _, err := ParseTypes(" , "); err == nil {
		t.Fatal("empty list accepted")
	}
}

func TestPreviewSentence(t *testing.T) {
	p := Preview{Push: 42, Import: 17, Skipped: map[string]int{"before-activation": 8}}
	want := "the first sync will push 42 activities, import 17 events, skip 8 created before sync was switched on"
	if got := p.Sentence(); got != want {
		t.Fatalf("Sentence() = %q\nwant          %q", got, want)
	}
	if got := (Preview{}).Sentence(); got != "the first sync will change nothing" {
		t.Fatalf("empty preview: %q", got)
	}
	if got := (Preview{Push: 1, Skipped: map[string]int{"type-not-synced": 2, "not-owner": 3}}).Sentence(); got !=
		"the first sync will push 1 activity, skip 3 owned by someone else, skip 2 of types that are not synced" {
		t.Fatalf("got %q", got)
	}
}

func TestScopeErrorExplained(t *testing.T) {
	g, _ := ChoiceByID("google")
	a := Explain(g, &ScopeError{Kind: "google", Missing: []string{"https://www.googleapis.com/auth/calendar"}}, nil)
	if a.Kind != providers.InsufficientScope || !strings.Contains(a.Text, "missing https://www.googleapis.com/auth/calendar") {
		t.Fatalf("%+v", a)
	}
}

// A preview for an account that already syncs is about the next sync.
func TestPreviewSentenceForAnAccountThatAlreadySyncs(t *testing.T) {
	if got := (Preview{Push: 2, Next: true}).Sentence(); got != "the next sync will push 2 activities" {
		t.Fatalf("got %q", got)
	}
	if got := (Preview{Next: true}).Sentence(); got != "the next sync will change nothing" {
		t.Fatalf("got %q", got)
	}
}
