package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

func init() {
	register(&Check{ID: "time-zones", Title: "Do the CRM and the calendar agree on the time?",
		Explain:  "Compares the CRM's time zone with the calendar's, reads whether the last sync held back a mass time shift, and (online) compares each synced activity's start with its event's: events shifted by whole hours mean the two sides read times in different zones.",
		Symptoms: []Symptom{NotShowing, WrongTime}, PerAccount: true, DependsOn: []string{"sync-enabled"}, Run: checkTimeZones})
	undoers["time-zone"] = func(ctx context.Context, h store.Handler, e *Env, data json.RawMessage) error {
		var prev struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(data, &prev); err != nil {
			return err
		}
		if prev.Name == "" {
			_, err := h.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, store.MetaTimeZone)
			return err
		}
		return store.SetUserTimeZone(ctx, h, prev.Name)
	}
}

func offsetText(loc *time.Location, at time.Time) string {
	_, off := at.In(loc).Zone()
	d := time.Duration(off) * time.Second
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("%s (UTC%s%d:%02d)", loc, sign, int(d.Hours()), int(d.Minutes())%60)
}

func checkTimeZones(ctx context.Context, e *Env, a *AccountView) Finding {
	now := e.now()
	crm, _ := store.UserLocation(ctx, e.Store.DB)
	if crm == nil {
		crm = time.UTC
	}
	cal, ok := a.Calendar()
	if !ok || cal.TimeZone == "" {
		return skip("the chosen calendar's time zone is not known")
	}
	calLoc, err := time.LoadLocation(cal.TimeZone)
	if err != nil {
		return unverified("the calendar's time zone "+cal.TimeZone+" is unknown here", err)
	}
	_, crmOff := now.In(crm).Zone()
	_, calOff := now.In(calLoc).Zone()
	ev := Evidence{Observed: "CRM " + offsetText(crm, now) + ", calendar " + offsetText(calLoc, now), Expected: "the same offset", Source: "time zone setting and calendar " + safeName(cal.Name)}
	held, heldEv := heldShifts(ctx, e, a)
	var shifted []shiftedEvent
	compared := 0
	var shift time.Duration
	if !e.Offline && e.Open != nil {
		shifted, compared, _ = compareStarts(ctx, e, a)
		if len(shifted) > 0 {
			shift = shifted[len(shifted)-1].Offset
		}
	}
	cause := "the CRM plans in " + offsetText(crm, now) + " and the calendar shows " + offsetText(calLoc, now)
	if crmOff == calOff {
		cause = "a calendar app or server read the times in another zone (the CRM and the calendar agree: " + offsetText(crm, now) + ")"
	}
	if held.TimeShift > 0 {
		// The engine's time-shift guard held the moves back: say so, why, and the two ways out.
		evs := append(heldEv, ev)
		if len(shifted) > 0 {
			evs = append(evs, Evidence{Observed: fmt.Sprintf("%d of %d synced events start %s away from their activity", len(shifted), compared, shift),
				Expected: "same start on both sides", Source: "calendar listing vs activities"})
		}
		f := fail(fmt.Sprintf("the calendar moved %d synced events %s and changed nothing else about them; sync held these moves back and is waiting for you to say which time is right",
			held.TimeShift, sync.ShiftText(held.TimeShiftHours)), evs...)
		f.Remediation = "Likely cause: " + cause + ". If the activities' times are right, set the CRM's time zone to the one you plan in " +
			"(the calendar is in " + calLoc.String() + ") and correct the calendar's events; if the calendar's new times are right, confirm the shift so sync moves the activities."
		f.Ask = "Which time is right: the CRM's or the calendar's?"
		if crmOff != calOff {
			f.Fixes = append(f.Fixes, timeZoneFix(calLoc.String()))
		}
		f.Fixes = append(f.Fixes, confirmShiftFix(a, held.TimeShift, held.TimeShiftHours))
		return f
	}
	if len(shifted) > 0 && len(shifted)*2 > compared {
		ev2 := Evidence{Observed: fmt.Sprintf("%d of %d synced events start %s away from their activity", len(shifted), compared, shift), Expected: "same start on both sides", Source: "calendar listing vs activities"}
		f := fail(fmt.Sprintf("%d events are %s off from their activities: the CRM and the calendar disagree on time zones", len(shifted), shift), ev, ev2)
		f.Remediation = "Set the CRM's time zone to the one you plan in (the calendar is in " + calLoc.String() + "), then edit an activity to resend it."
		f.Ask = "Which time is right: the CRM's or the calendar's?"
		if crmOff != calOff {
			f.Fixes = []*Fix{timeZoneFix(calLoc.String())}
		}
		if shift%time.Hour == 0 && len(shifted) >= sync.TimeShiftGuardMin {
			// What the next sync's guard will hold: confirming is the other way out.
			f.Fixes = append(f.Fixes, confirmShiftFix(a, len(shifted), int(shift/time.Hour)))
		}
		return f
	}
	if crmOff != calOff {
		f := warn(fmt.Sprintf("the CRM plans in %s and the calendar shows %s: the same event shows different clock times on each side", offsetText(crm, now), offsetText(calLoc, now)), ev)
		f.Ask = "Is that intended (you travel, or the calendar is a colleague's)?"
		f.Fixes = []*Fix{timeZoneFix(calLoc.String())}
		return f
	}
	s := "the CRM and the calendar use the same time offset"
	if compared > 0 {
		s += fmt.Sprintf("; %d synced events start exactly when their activities do", compared)
	}
	return pass(s, ev)
}

// heldShifts reads whether the account's last sync held back a mass time shift, with the
// run and its journal entry as evidence.
func heldShifts(ctx context.Context, e *Env, a *AccountView) (sync.Outcome, []Evidence) {
	o, err := sync.LastOutcome(ctx, e.Store.DB, a.Account)
	if err != nil || o.TimeShift == 0 {
		return sync.Outcome{}, nil
	}
	evs := []Evidence{{Observed: fmt.Sprintf("the last sync (%s) held back %d events moved %s: none of the moves was applied", stamp(o.At), o.TimeShift, sync.ShiftText(o.TimeShiftHours)),
		Expected: "no mass move held back", Source: "sync run " + o.RunID}}
	if es, err := store.QueryJournal(ctx, e.Store.DB, store.JournalQuery{AccountID: a.Account.ID, RunID: o.RunID, Reason: sync.ReasonTimeShiftGuard, Limit: 1}); err == nil && len(es) > 0 {
		evs = append(evs, journalEvidence(es[0]))
	}
	return o, evs
}

// shiftedEvent is a synced activity whose calendar event starts Offset away from it.
type shiftedEvent struct {
	ActivityID string        `json:"id"`
	Start      time.Time     `json:"start"` // the activity's start, before any move
	Offset     time.Duration `json:"offset"`
}

// compareStarts lists the calendar and compares each tagged event's start with its
// activity's (timed, live activities only). It changes nothing.
func compareStarts(ctx context.Context, e *Env, a *AccountView) (shifted []shiftedEvent, compared int, err error) {
	p, err := e.Open(ctx, a.Account, nil)
	if err != nil {
		return nil, 0, err
	}
	from, to := window(a.Settings, e.now())
	evs, err := listAll(ctx, p, a.Settings.CalendarID, providers.Window{Start: from, End: to})
	if err != nil {
		return nil, 0, err
	}
	for _, rev := range evs {
		if rev.ActivityID == "" {
			continue
		}
		act, err := store.SyncGetActivity(ctx, e.Store.DB, rev.ActivityID)
		if err != nil || act.DeletedAt != nil || act.AllDay {
			continue
		}
		compared++
		if d := rev.Start.Sub(act.Start); d != 0 && d%(15*time.Minute) == 0 {
			shifted = append(shifted, shiftedEvent{ActivityID: act.ID, Start: act.Start, Offset: d})
		}
	}
	return shifted, compared, nil
}

// timeZoneFix sets the CRM's time zone to name; undo restores the previous setting.
func timeZoneFix(name string) *Fix {
	fx := &Fix{ID: "set-time-zone", Title: "use the calendar's time zone (" + name + ") in the CRM", Impact: Impact{{"change time zone", 1}}, Undoable: true}
	fx.apply = func(ctx context.Context, e *Env, _ string) (Applied, error) {
		prev, _, err := store.GetMeta(ctx, e.Store.DB, store.MetaTimeZone)
		if err != nil {
			return Applied{}, err
		}
		jid, err := recordFix(ctx, e, fx, "", "", "time-zone", map[string]string{"name": prev}, func(h store.Handler) error {
			return store.SetUserTimeZone(ctx, h, name)
		})
		if err != nil {
			return Applied{}, err
		}
		return Applied{JournalID: jid, Message: "the CRM now plans in " + name}, nil
	}
	return fx
}

// confirmShiftFix runs the sync once with the time-shift guard's moves confirmed, so the
// activities take the calendar's new times. Only the person knows which time is right, so
// it is a Decision: `doctor --fix --yes` never applies it. Before changing anything it
// checks that the sync would move exactly what the diagnosis saw (a dry run) and lists
// the calendar to record which activities move and from where; undo moves them back (the
// next sync then writes those times to the calendar again).
func confirmShiftFix(a *AccountView, n, hours int) *Fix {
	id := a.Account.ID
	fx := &Fix{ID: "confirm-time-shift", Title: fmt.Sprintf("accept the calendar's times: move %d activities %s", n, sync.ShiftText(hours)),
		Description: "Runs the sync once with the shift confirmed (calsync sync --account " + id + " --confirm-time-shift).",
		Impact:      Impact{{"move activities " + sync.ShiftText(hours), n}}, Undoable: true, Decision: true}
	fx.apply = func(ctx context.Context, e *Env, _ string) (Applied, error) {
		if e.ConfirmTimeShift == nil || e.DryRun == nil || e.Open == nil || e.Offline {
			return Applied{}, errors.New("confirming the shift needs the calendar: run `calsync sync --account " + id + " --confirm-time-shift`")
		}
		pre, err := e.DryRun(ctx, id)
		if err != nil {
			return Applied{}, fmt.Errorf("could not preview the sync: %w", err)
		}
		if pre.TimeShiftGuard != n || pre.TimeShiftHours != hours {
			return Applied{}, fmt.Errorf("the calendar changed since the diagnosis: the sync would now hold back %d moves of %s, not %d of %s; run the doctor again",
				pre.TimeShiftGuard, sync.ShiftText(pre.TimeShiftHours), n, sync.ShiftText(hours))
		}
		shifted, _, err := compareStarts(ctx, e, a)
		if err != nil {
			return Applied{}, fmt.Errorf("could not list the calendar to record what moves: %w", err)
		}
		var moved []shiftedEvent
		for _, s := range shifted {
			if s.Offset == time.Duration(hours)*time.Hour {
				moved = append(moved, s)
			}
		}
		jid, err := recordFix(ctx, e, fx, id, "", "time-shift", moved, func(store.Handler) error { return nil })
		if err != nil {
			return Applied{}, err
		}
		sum, err := e.ConfirmTimeShift(ctx, id)
		if err != nil {
			return Applied{JournalID: jid}, fmt.Errorf("the sync with the shift confirmed failed: %w", err)
		}
		return Applied{JournalID: jid, Message: fmt.Sprintf("the activities now follow the calendar's times (%d changes pulled)", sum.Pulled)}, nil
	}
	return fx
}

func init() {
	// Undo of confirm-time-shift: each recorded activity that still sits where the
	// confirmed sync put it goes back to its earlier start, as an edit here, so the next
	// sync writes that time to the calendar.
	undoers["time-shift"] = func(ctx context.Context, h store.Handler, e *Env, data json.RawMessage) error {
		var moved []shiftedEvent
		if err := json.Unmarshal(data, &moved); err != nil {
			return err
		}
		for _, m := range moved {
			act, err := store.SyncGetActivity(ctx, h, m.ActivityID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if act.DeletedAt != nil || !act.Start.Equal(m.Start.Add(m.Offset)) {
				continue // changed again since: leave the newer time alone
			}
			start := m.Start
			if _, err := store.UpdateActivity(ctx, h, m.ActivityID, store.ActivityPatch{Start: &start}, e.now()); err != nil {
				return err
			}
		}
		return nil
	}
}
