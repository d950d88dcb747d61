package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

func init() {
	register(&Check{ID: "time-zones", Title: "Do the CRM and the calendar agree on the time?",
		Explain:  "Compares the CRM's time zone with the calendar's, and (online) each synced activity's start with its event's: events shifted by whole hours mean the two sides read times in different zones.",
		Symptoms: []Symptom{NotShowing}, PerAccount: true, DependsOn: []string{"sync-enabled"}, Run: checkTimeZones})
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
	shifted, compared := 0, 0
	var shift time.Duration
	if !e.Offline && e.Open != nil {
		if p, err := e.Open(ctx, a.Account, nil); err == nil {
			from, to := window(a.Settings, now)
			evs, err := listAll(ctx, p, a.Settings.CalendarID, providers.Window{Start: from, End: to})
			if err == nil {
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
						shifted++
						shift = d
					}
				}
			}
		}
	}
	if shifted > 0 && shifted*2 > compared {
		ev2 := Evidence{Observed: fmt.Sprintf("%d of %d synced events start %s away from their activity", shifted, compared, shift), Expected: "same start on both sides", Source: "calendar listing vs activities"}
		f := fail(fmt.Sprintf("%d events are %s off from their activities: the CRM and the calendar disagree on time zones", shifted, shift), ev, ev2)
		f.Remediation = "Set the CRM's time zone to the one you plan in (the calendar is in " + calLoc.String() + "), then edit an activity to resend it."
		f.Ask = "Which time is right: the CRM's or the calendar's?"
		if crmOff != calOff {
			f.Fixes = []*Fix{timeZoneFix(calLoc.String())}
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
