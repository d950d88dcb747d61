package demo

import (
	"fmt"
	"strings"
	"time"

	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/providers/microsoft/graphfake"
	"github.com/calsync/calsync/store"
)

// Scenario is one setup `calsync demo --scenario NAME` builds. Every broken one is
// made the way it happens to people: settings changed through the same validation the
// settings screen uses, calendars and tokens changed on the provider (the fakes' switches
// stand in for the person, their admin or another calendar app), and syncs run through
// the real engine and providers. No finding is ever written into the store.
type Scenario struct {
	Name string
	Line string // one line for --list
	// Try is what the person should run to see the problem and its fix (%[1]s = the
	// data directory, %[2]s = the target activity's subject).
	Try []string
	// before runs once the accounts are connected, before the first sync; after runs
	// after it (then the first sync always runs).
	before, after func(b *Sandbox) error
}

var Scenarios = []*Scenario{
	{Name: "healthy", Line: "three connected accounts, everything in sync: nothing to fix",
		Try: []string{"calsync --data-dir %[1]s doctor", "calsync --data-dir %[1]s sync"}},
	{Name: "filters-hide", Line: "the activity list is filtered to another owner with lunches and e-mails switched off",
		Try:    []string{"calsync --data-dir %[1]s          (the app: tab 2 Activities does not show the lunch)", "calsync --data-dir %[1]s doctor --search %[2]q"},
		before: scenarioFiltersHide},
	{Name: "before-activation", Line: "activities entered before sync was switched on never reach the calendar",
		Try:    []string{"calsync --data-dir %[1]s explain --search %[2]q", "calsync --data-dir %[1]s doctor --search %[2]q"},
		before: scenarioBeforeActivation},
	{Name: "wrong-types", Line: "only calls are synced, so meetings stay out of the calendar",
		Try:    []string{"calsync --data-dir %[1]s explain --search %[2]q", "calsync --data-dir %[1]s doctor --search %[2]q"},
		before: scenarioWrongTypes},
	{Name: "one-way", Line: "direction is CRM -> calendar only while the person edits events in the calendar",
		Try:    []string{"calsync --data-dir %[1]s doctor --symptom one-way"},
		before: scenarioOneWayBefore, after: scenarioOneWayAfter},
	{Name: "read-only-calendar", Line: "sync writes to a shared calendar the account may only read",
		Try:    []string{"calsync --data-dir %[1]s sync", "calsync --data-dir %[1]s doctor --symptom one-way"},
		before: scenarioReadOnlyBefore, after: scenarioReadOnlyAfter},
	{Name: "duplicates-two-accounts", Line: "the same Google calendar is connected through two accounts",
		Try:   []string{"calsync --data-dir %[1]s activity list --owner all --search Dentist", "calsync --data-dir %[1]s doctor --symptom duplicates"},
		after: scenarioTwoAccounts},
	{Name: "duplicates-lost-links", Line: "calsync's links were lost (a reset) and its events were imported again",
		Try:   []string{"calsync --data-dir %[1]s activity list --search %[2]q", "calsync --data-dir %[1]s doctor --symptom duplicates"},
		after: scenarioLostLinks},
	{Name: "app-password", Line: "the CalDAV server switched to two-factor sign-in and refuses the saved password (new app password: " + NewAppPassword + ")",
		Try:   []string{"calsync --data-dir %[1]s sync", "calsync --data-dir %[1]s doctor --symptom cant-connect"},
		after: scenarioAppPassword},
	{Name: "missing-scope", Line: "calendar access was unticked on the Google consent screen",
		Try:   []string{"calsync --data-dir %[1]s sync", "calsync --data-dir %[1]s doctor --symptom permissions"},
		after: scenarioMissingScope},
	{Name: "admin-blocked", Line: "the Microsoft 365 tenant requires an admin to approve calsync",
		Try:   []string{"calsync --data-dir %[1]s sync", "calsync --data-dir %[1]s doctor --symptom permissions"},
		after: scenarioAdminBlocked},
	{Name: "expired-token", Line: "the Google refresh token was revoked (or expired: app in Testing status)",
		Try:   []string{"calsync --data-dir %[1]s sync", "calsync --data-dir %[1]s doctor --symptom cant-connect"},
		after: scenarioExpiredToken},
	{Name: "timezone-shift", Line: "the calendar and the CRM disagree on the time zone: events an hour off",
		Try: []string{"calsync --data-dir %[1]s sync          (holds the moves back and asks)",
			"calsync --data-dir %[1]s doctor --symptom wrong-time", "calsync --data-dir %[1]s doctor --search %[2]q"},
		before: scenarioTimeZoneBefore, after: scenarioTimeZoneAfter},
}

// ScenarioByName finds a scenario; the error lists the valid names.
func ScenarioByName(name string) (*Scenario, error) {
	for _, s := range Scenarios {
		if s.Name == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("unknown scenario %q; scenarios: %s (see calsync demo --list)", name, strings.Join(ScenarioNames(), ", "))
}

func ScenarioNames() []string {
	var out []string
	for _, s := range Scenarios {
		out = append(out, s.Name)
	}
	return out
}

// scenarioFiltersHide: the list shows Sofía's activities with lunches and e-mails off;
// my new lunch is in the calendar but not in the list.
func scenarioFiltersHide(b *Sandbox) error {
	a, err := b.Activity("Lunch with Chloé Martin (Café Olé)", store.TypeLunch, b.At(2, 12, 30), time.Hour, b.now)
	if err != nil {
		return err
	}
	b.setTarget(a)
	f := store.ListFilter{Owner: b.Users[1].ID, Types: []store.ActivityType{store.TypeCall, store.TypeMeeting, store.TypeTask, store.TypeDeadline},
		Status: store.StatusTodo, Period: store.PeriodAll}
	return store.SaveListView(b.Ctx, b.St.DB, f, b.now)
}

// scenarioBeforeActivation: activities entered three days before sync was switched on.
func scenarioBeforeActivation(b *Sandbox) error {
	earlier := b.now.Add(-3 * 24 * time.Hour)
	a, err := b.Activity("Quarterly review with Globex", store.TypeMeeting, b.At(3, 10, 0), time.Hour, earlier)
	if err != nil {
		return err
	}
	b.setTarget(a)
	_, err = b.Activity("Call Hiroshi Tanaka about the pilot", store.TypeCall, b.At(4, 9, 30), 30*time.Minute, earlier)
	if err != nil {
		return err
	}
	// Sync was switched on after they were entered (now), which is what ApplySettings did.
	return nil
}

// scenarioWrongTypes: the Google account syncs calls only.
func scenarioWrongTypes(b *Sandbox) error {
	a, err := b.Activity("Board meeting at Initech", store.TypeMeeting, b.At(1, 14, 0), 90*time.Minute, b.now)
	if err != nil {
		return err
	}
	b.setTarget(a)
	return b.settings(b.Google, func(s *store.SyncSettings) { s.Types = []store.ActivityType{store.TypeCall} })
}

func scenarioOneWayBefore(b *Sandbox) error {
	a, err := b.Activity("Demo for Nordwind GmbH", store.TypeMeeting, b.At(2, 10, 0), time.Hour, b.now)
	if err != nil {
		return err
	}
	b.setTarget(a)
	return b.settings(b.Google, func(s *store.SyncSettings) { s.Direction = store.DirToCalendar })
}

// scenarioOneWayAfter: the person moves the demo in the calendar and adds an event there;
// the next sync ignores both.
func scenarioOneWayAfter(b *Sandbox) error {
	g := b.Fakes.Google
	moved := false
	for _, e := range g.Events(b.GoogleCal) {
		if e.Summary == b.Target.Subject && e.Status != "cancelled" {
			e.Summary = b.Target.Subject + " (room Fjord)"
			st := b.At(2, 11, 0)
			e.Start = &googlefake.EventDateTime{DateTime: st.Format(time.RFC3339), TimeZone: b.cfg.TimeZone}
			e.End = &googlefake.EventDateTime{DateTime: st.Add(time.Hour).Format(time.RFC3339), TimeZone: b.cfg.TimeZone}
			if _, err := g.PutEvent(b.GoogleCal, e); err != nil {
				return err
			}
			moved = true
		}
	}
	if !moved {
		return fmt.Errorf("the first sync did not push %q", b.Target.Subject)
	}
	st := b.At(3, 16, 0)
	if _, err := g.PutEvent(b.GoogleCal, googlefake.Event{Summary: "Call with Ana Ribeiro (made in the calendar)",
		Start: &googlefake.EventDateTime{DateTime: st.Format(time.RFC3339)}, End: &googlefake.EventDateTime{DateTime: st.Add(30 * time.Minute).Format(time.RFC3339)}}); err != nil {
		return err
	}
	b.syncAccount(b.Google)
	return nil
}

// scenarioReadOnlyBefore: sync goes to the shared team calendar (writable when chosen).
func scenarioReadOnlyBefore(b *Sandbox) error {
	if _, err := b.mgr.RefreshCalendars(b.Ctx, b.Google.ID); err != nil {
		return err
	}
	if err := b.settings(b.Google, func(s *store.SyncSettings) { s.CalendarID = demoTeamCalendar }); err != nil {
		return err
	}
	b.GoogleCal = demoTeamCalendar
	return nil
}

// scenarioReadOnlyAfter: the calendar's owner makes it read-only for Alex; new activities
// can no longer be pushed.
func scenarioReadOnlyAfter(b *Sandbox) error {
	if err := b.Fakes.Google.SetAccessRole(demoTeamCalendar, "reader"); err != nil {
		return err
	}
	a, err := b.Activity("Offer for Blue Fjord AS", store.TypeCall, b.At(1, 15, 0), 30*time.Minute, b.now.Add(time.Second))
	if err != nil {
		return err
	}
	b.setTarget(a)
	if _, err := b.mgr.RefreshCalendars(b.Ctx, b.Google.ID); err != nil {
		return err
	}
	b.syncAccount(b.Google)
	return nil
}

// scenarioTwoAccounts: the same Google calendar connected a second time (an older setup,
// or a CalDAV connection to the same calendar): each calendar event is imported twice.
func scenarioTwoAccounts(b *Sandbox) error {
	g := b.Fakes.Google
	access, refresh, exp := g.IssueToken([]string{googlefake.ScopeCalendar})
	_ = access
	ep := googlefake.ProviderEndpoints(g.URL())
	second, err := addAccountDirect(b, store.Account{Kind: "google", Name: "Alex (Google, added again)", Login: GoogleLogin,
		ClientID: demoGoogleClient, AuthKind: "oauth"}, ep, googleSecret(access, refresh, exp))
	if err != nil {
		return err
	}
	if err := b.settings(second, func(s *store.SyncSettings) { s.CalendarID = b.GoogleCal }); err != nil {
		return err
	}
	b.syncAccount(second)
	b.syncAccount(b.Google)
	return nil
}

// scenarioLostLinks: activities that an earlier calsync installation had put in the
// Google calendar; its local state was lost (a new computer, a reset), so the links are
// gone and the events, written before ownership tags existed, carry none. The next sync
// imports each event as a new activity next to its original.
func scenarioLostLinks(b *Sandbox) error {
	g := b.Fakes.Google
	earlier := b.now.Add(-30 * 24 * time.Hour)
	for i, subj := range []string{"Pipeline review with Acme Corp", "Call Marta Kowalska about pricing", "Kickoff: Kyōto Ceramics onboarding"} {
		start := b.At(2+i, 10+i, 0)
		a, err := b.Activity(subj, store.TypeMeeting, start, time.Hour, earlier)
		if err != nil {
			return err
		}
		if b.Target == nil {
			b.setTarget(a)
		}
		if _, err := g.PutEvent(b.GoogleCal, googlefake.Event{Summary: subj,
			Start: &googlefake.EventDateTime{DateTime: start.Format(time.RFC3339), TimeZone: b.cfg.TimeZone},
			End:   &googlefake.EventDateTime{DateTime: start.Add(time.Hour).Format(time.RFC3339), TimeZone: b.cfg.TimeZone}}); err != nil {
			return err
		}
	}
	b.syncAccount(b.Google)
	return nil
}

// scenarioAppPassword: the CalDAV account turned on two-factor sign-in; the saved
// password is now refused like a normal account password.
func scenarioAppPassword(b *Sandbox) error {
	b.Fakes.CalDAV.RequireNewAppPassword()
	// The one the person "creates" on the server's security page (printed, and in --list).
	b.Fakes.CalDAV.SetAppPassword(NewAppPassword)
	b.secretNote = "The new app password (as if made on the server's security page) is: " + NewAppPassword
	b.syncAccount(b.CalDAV)
	return nil
}

// NewAppPassword is the app password the app-password scenario's server accepts.
const NewAppPassword = "demo-app-password-2"

// scenarioMissingScope: the person (re)consented with calendar access unticked.
func scenarioMissingScope(b *Sandbox) error {
	b.Fakes.Google.SetGrantedScopes([]string{"openid", "email"})
	b.Fakes.Google.ExpireAccessTokens()
	// The narrowed grant stays; the next consent may grant calendar access again, so a
	// reconnect with the box ticked fixes it, as it does for a person.
	b.Fakes.Google.SetGrantedScopes(nil)
	b.syncAccount(b.Google)
	return nil
}

// scenarioAdminBlocked: the tenant's admin now requires admin consent for calsync.
func scenarioAdminBlocked(b *Sandbox) error {
	if err := b.Fakes.graph.Inject(graphfake.FaultAdminConsent, ""); err != nil {
		return err
	}
	b.syncAccount(b.Microsoft)
	return nil
}

// scenarioExpiredToken: the Google refresh token was revoked (as Google does after 7 days
// for apps in Testing status, or when the person removes access).
func scenarioExpiredToken(b *Sandbox) error {
	b.Fakes.Google.RevokeTokens()
	b.Fakes.Google.ExpireAccessTokens()
	b.syncAccount(b.Google)
	return nil
}

// scenarioTimeZoneBefore: the CRM plans in London while the chosen calendar is the
// Berlin office's.
func scenarioTimeZoneBefore(b *Sandbox) error {
	if err := store.SetUserTimeZone(b.Ctx, b.St.DB, "Europe/London"); err != nil {
		return err
	}
	g := b.Fakes.Google
	if err := g.AddCalendar(googlefake.Calendar{ID: demoBerlinCalendar, Summary: "Berlin office", TimeZone: "Europe/Berlin", AccessRole: "owner"}); err != nil {
		return err
	}
	if _, err := b.mgr.RefreshCalendars(b.Ctx, b.Google.ID); err != nil {
		return err
	}
	if err := b.settings(b.Google, func(s *store.SyncSettings) { s.CalendarID = demoBerlinCalendar }); err != nil {
		return err
	}
	b.GoogleCal = demoBerlinCalendar
	a, err := b.Activity("Call with Jürgen about the Q1 roadmap", store.TypeCall, b.At(1, 9, 0), 30*time.Minute, b.now)
	if err != nil {
		return err
	}
	b.setTarget(a)
	return nil
}

const demoBerlinCalendar = "berlin.office@group.calendar.google.com"

// scenarioTimeZoneAfter: a calendar app that read the times in its own zone moved every
// synced event an hour later.
func scenarioTimeZoneAfter(b *Sandbox) error {
	g := b.Fakes.Google
	for _, e := range g.Events(b.GoogleCal) {
		if e.Status == "cancelled" || e.ExtendedProperties == nil || e.Start == nil || e.Start.DateTime == "" || e.End == nil {
			continue
		}
		st, err1 := time.Parse(time.RFC3339, e.Start.DateTime)
		en, err2 := time.Parse(time.RFC3339, e.End.DateTime)
		if err1 != nil || err2 != nil {
			continue
		}
		e.Start = &googlefake.EventDateTime{DateTime: st.Add(time.Hour).Format(time.RFC3339), TimeZone: "Europe/Berlin"}
		e.End = &googlefake.EventDateTime{DateTime: en.Add(time.Hour).Format(time.RFC3339), TimeZone: "Europe/Berlin"}
		if _, err := g.PutEvent(b.GoogleCal, e); err != nil {
			return err
		}
	}
	return nil
}
