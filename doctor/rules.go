package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

// Rule ids, in the order the engine applies them to a local activity. The first one that
// keeps the activity out of the calendar is the answer to "why isn't it there?".
const (
	RuleDeleted          = "deleted"
	RuleNoAccount        = "no-account"
	RuleSyncOff          = "sync-off"
	RuleNeedsReauth      = "needs-reauth"
	RuleNoCalendar       = "no-calendar"
	RuleDirection        = "direction"
	RuleOtherAccount     = "other-account"
	RuleNotOwner         = "not-owner"
	RuleTypeNotSynced    = "type-not-synced"
	RuleLeftBehind       = "left-behind"
	RuleOutsideWindow    = "outside-window"
	RuleBeforeActivation = "before-activation"
	RuleQuarantined      = "quarantined"
	RuleLastError        = "error"
	RulePending          = "pending"
	RuleSynced           = "synced"
	RuleImported         = "imported"
	RuleEligible         = "eligible"
)

// Verdict says whether an activity is (or will be) in one account's calendar, and why.
type Verdict struct {
	AccountID string     `json:"account_id,omitempty"`
	In        bool       `json:"in_calendar"`
	Rule      string     `json:"rule"`
	Summary   string     `json:"summary"`
	Evidence  []Evidence `json:"evidence,omitempty"`
	Link      *store.Link
}

// window is the sync window of settings s around now.
func window(s store.SyncSettings, now time.Time) (time.Time, time.Time) {
	past, future := s.WindowPastDays, s.WindowFutureDays
	if past <= 0 {
		past = store.DefaultWindowPastDays
	}
	if future <= 0 {
		future = store.DefaultWindowFutureDays
	}
	return now.AddDate(0, 0, -past), now.AddDate(0, 0, future)
}

func typesText(ts []store.ActivityType) string {
	if len(ts) == 0 {
		return "none"
	}
	var s []string
	for _, t := range ts {
		s = append(s, string(t))
	}
	return strings.Join(s, ", ")
}

func hasType(ts []store.ActivityType, t store.ActivityType) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// beforeActivation reports whether the engine leaves a not-yet-linked activity alone
// because nobody changed it since sync was switched on and no backfill covers it.
func beforeActivation(s store.SyncSettings, a store.Activity) bool {
	if s.ActivatedAt == nil || !a.UpdatedAt.Before(*s.ActivatedAt) {
		return false
	}
	if s.BackfillFrom != nil && !a.Start.Before(*s.BackfillFrom) {
		return false
	}
	return true
}

// Decide applies the engine's rules to activity a for account v, first rule first.
// meID is the CRM's "me" user.
func Decide(ctx context.Context, st *store.Store, v *AccountView, a store.Activity, meID string, now time.Time) Verdict {
	s := v.Settings
	vd := Verdict{AccountID: v.Account.ID}
	src := "sync settings of " + v.Label()
	out := func(rule, summary string, ev ...Evidence) Verdict {
		vd.Rule, vd.Summary, vd.Evidence = rule, summary, append(vd.Evidence, ev...)
		return vd
	}
	links, _ := store.LinksForActivity(ctx, st.DB, a.ID)
	var link *store.Link
	for i := range links {
		if links[i].AccountID == v.Account.ID && links[i].CalendarID == s.CalendarID {
			link = &links[i]
		}
	}
	vd.Link = link

	if a.DeletedAt != nil {
		return out(RuleDeleted, fmt.Sprintf("the activity was deleted on %s", stamp(*a.DeletedAt)),
			Evidence{Observed: "deleted " + stamp(*a.DeletedAt), Expected: "not deleted", Source: "activity"})
	}
	if !s.Enabled || v.Account.State == store.AccountDisabled {
		return out(RuleSyncOff, "calendar sync is switched off for "+v.Label(),
			Evidence{Observed: fmt.Sprintf("enabled=%v, account %s", s.Enabled, v.Account.State), Expected: "enabled=true", Source: src})
	}
	if v.Account.State == store.AccountNeedsReauth {
		return out(RuleNeedsReauth, v.Label()+" needs a fresh sign-in: nothing syncs until then",
			Evidence{Observed: "account state " + v.Account.State, Expected: store.AccountConnected, Source: "account"})
	}
	if s.CalendarID == "" {
		return out(RuleNoCalendar, "no calendar is chosen for "+v.Label(),
			Evidence{Observed: "no calendar", Expected: "a calendar", Source: src})
	}
	imported := a.Origin != "" && a.Origin != "local"
	if s.Direction == store.DirFromCalendar && !imported {
		return out(RuleDirection, "sync only goes from the calendar to the CRM, so activities created in the CRM are never sent",
			Evidence{Observed: "direction " + s.Direction, Expected: store.DirTwoWay + " or " + store.DirToCalendar, Source: src})
	}
	if imported && link != nil && link.State != store.LinkQuarantined {
		// The event is the activity's source: it is in the calendar by definition.
		vd.In = true
		return out(RuleImported, "it was imported from this calendar, so its event is there",
			Evidence{Observed: "imported from " + a.Origin + ", remote id " + link.RemoteID, Source: "links"})
	}
	if !imported && link != nil && link.State == store.LinkSynced && a.Rev <= link.SyncedRev && !hasType(s.Types, a.Type) {
		// Made by calsync while its type was synced; the engine only retracts an event
		// when its activity changes, so it stays there (see the left-behind check).
		vd.In = true
		return out(RuleLeftBehind, fmt.Sprintf("its type %q is no longer synced (synced: %s), but the event calsync made for it is still in the calendar and no longer updated; `calsync doctor` offers to remove it (fix remove-left-behind)", a.Type, typesText(s.Types)),
			Evidence{Observed: fmt.Sprintf("link synced, remote id %s; type %s", link.RemoteID, a.Type), Expected: "one of: " + typesText(s.Types) + ", or no event", Source: "links and " + src})
	}
	from, to := window(s, now)
	end := a.Start.Add(a.Duration)
	if end.Before(from) || a.Start.After(to) {
		return out(RuleOutsideWindow, fmt.Sprintf("it starts %s, outside the sync window %s .. %s", day(a.Start), day(from), day(to)),
			Evidence{Observed: "start " + stamp(a.Start), Expected: fmt.Sprintf("between %s and %s (%d days back, %d ahead)", day(from), day(to), s.WindowPastDays, s.WindowFutureDays), Source: src})
	}
	if imported && a.Origin != v.Account.ID {
		return out(RuleOtherAccount, "it was imported from another calendar account ("+a.Origin+"); calsync does not copy events between calendars",
			Evidence{Observed: "origin " + a.Origin, Expected: "created in the CRM or imported from this account", Source: "activity"})
	}
	if a.OwnerID != meID {
		owner := a.OwnerID
		if u, err := store.GetUser(ctx, st.DB, a.OwnerID); err == nil {
			owner = u.Name
		}
		return out(RuleNotOwner, fmt.Sprintf("the activity belongs to %s; only your own activities go to your calendar", owner),
			Evidence{Observed: "owner " + owner, Expected: "owner: you", Source: "activity"})
	}
	if !hasType(s.Types, a.Type) {
		return out(RuleTypeNotSynced, fmt.Sprintf("its type %q is not among the synced types (%s)", a.Type, typesText(s.Types)),
			Evidence{Observed: "type " + string(a.Type), Expected: "one of: " + typesText(s.Types), Source: src})
	}
	if link == nil && beforeActivation(s, a) {
		// Seconds (or less) when the two share a minute, so the wording never reads
		// "changed 10:04, before sync was switched on (10:04)".
		layout := sync.CutoffLayout(a.UpdatedAt, *s.ActivatedAt) + " UTC"
		changed, activated := a.UpdatedAt.UTC().Format(layout), s.ActivatedAt.UTC().Format(layout)
		exp := "changed on or after " + activated
		if s.BackfillFrom != nil {
			exp += " or starting on or after the backfill date " + day(*s.BackfillFrom)
		}
		return out(RuleBeforeActivation, fmt.Sprintf("it was last changed %s, before sync was switched on (%s); only new and changed activities are synced", changed, activated),
			Evidence{Observed: "last changed " + changed, Expected: exp, Source: src})
	}
	if link != nil {
		ev := Evidence{Observed: fmt.Sprintf("link %s, remote id %s", link.State, link.RemoteID), Source: "links"}
		switch {
		case link.State == store.LinkQuarantined:
			return out(RuleQuarantined, "its calendar link was quarantined (a duplicate merge or a suspicious change): it no longer syncs", ev)
		case link.LastError != "":
			ev.Observed += ", last error: " + link.LastError
			return out(RuleLastError, "its last sync attempt failed: "+link.LastError, ev)
		case link.State == store.LinkPendingCreate || link.State == store.LinkPendingDelete || link.SyncedRev < a.Rev:
			vd.In = true
			return out(RulePending, "it is waiting for the next sync run", ev)
		}
		vd.In = true
		return out(RuleSynced, "it is in the calendar (synced)", ev)
	}
	// Eligible but not linked: the last journal entry may say why it is not there yet.
	if es, _ := store.QueryJournal(ctx, st.DB, store.JournalQuery{AccountID: v.Account.ID, ActivityID: a.ID, Limit: 1}); len(es) > 0 && (es[0].Op == store.OpError || es[0].Op == store.OpSkipped) {
		e := es[0]
		return out(RuleLastError, fmt.Sprintf("the last sync %s it: %s", e.Op, strings.TrimSpace(e.Reason+" "+e.Detail)),
			Evidence{Observed: fmt.Sprintf("%s %s %s", e.Op, e.Reason, e.Detail), Source: fmt.Sprintf("journal #%d (%s)", e.ID, stamp(e.At))})
	}
	vd.In = true
	return out(RuleEligible, "it qualifies and will be sent on the next sync run",
		Evidence{Observed: "owner you, type " + string(a.Type) + ", inside the window, changed after activation", Source: src})
}
