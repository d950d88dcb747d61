package demo

import (
	"context"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"time"

	"github.com/calsync/calsync/store"
)

// Demo data: a small sales team's CRM, deterministic for a seed and a "now", so tests and
// demo scenarios (issue 8) can rely on what is in it.

// demoPeople are the sandbox's users; the first is me unless me exists already.
var demoPeople = []store.User{
	{Name: "Alex Morgan", Email: "alex.morgan@example.com", IsMe: true},
	{Name: "Sofía Hernández", Email: "sofia.hernandez@example.com"},
	{Name: "Jürgen Weiß", Email: "juergen.weiss@example.com"},
}

var (
	demoCompanies = []string{"Acme Corp", "Nordwind GmbH", "Société Lumière", "Café Olé", "Łódź Textiles",
		"Kyōto Ceramics", "Müller & Söhne", "São Paulo Imports", "Globex", "Initech", "Blue Fjord AS",
		"Dubois Frères", "Umbrella Health", "Çelik Yapı", "Ōsaka Robotics", "Brønd & Co"}
	demoContacts = []string{"Chloé Martin", "José García", "Aylin Yılmaz", "Nguyễn Văn An", "Zoë Lefèvre",
		"Marta Kowalska", "Hiroshi Tanaka", "Olivia Smith", "Liam O'Brien", "Søren Madsen", "Ana Ribeiro",
		"François Petit", "Priya Raman", "Mateo Rossi", "Ines Müller", "Dmitri Ivanov"}
	demoTopics = []string{"the renewal", "pricing", "the pilot", "onboarding", "the Q1 roadmap",
		"integration questions", "the SLA", "volume discounts", "the security review", "next steps"}
	demoDocs   = []string{"proposal", "pricing sheet", "case study", "contract draft", "meeting notes", "invoice"}
	demoPlaces = []string{"Client office", "Zoom", "Microsoft Teams", "Google Meet", "HQ, room Fjord",
		"Café de Flore", "Brasserie Müller", "Phone"}
	demoTemplates = map[store.ActivityType][]string{
		store.TypeCall:     {"Call {contact} about {topic}", "Follow-up call with {company}", "Intro call: {company}", "Check in with {contact}"},
		store.TypeMeeting:  {"Demo for {company}", "Quarterly business review — {company}", "Kickoff: {company} onboarding", "Workshop with {contact} on {topic}"},
		store.TypeTask:     {"Prepare {doc} for {company}", "Update CRM notes for {contact}", "Research {company} before the call", "Draft {doc} for {contact}"},
		store.TypeDeadline: {"Contract renewal due — {company}", "Proposal deadline: {company}", "Invoice {n} due ({company})", "Tender submission — {company}"},
		store.TypeEmail:    {"Email {contact} the {doc}", "Reply to {contact} about {topic}", "Send {company} the {doc}"},
		store.TypeLunch:    {"Lunch with {contact} ({company})", "Team lunch", "Lunch with {contact}"},
	}
	demoNotes = []string{
		"",
		"",
		"Agenda:\n- recap of last meeting\n- open questions on {topic}\n- next steps",
		"{contact} prefers mornings. Bring the {doc}.",
		"Decision maker: {contact}. Budget approved for Q1.",
		"Asked about {topic}; promised an answer by Friday.",
	}
)

// demoTypeWeights: calls and meetings dominate a sales calendar.
var demoTypeWeights = []struct {
	t store.ActivityType
	w int
}{{store.TypeCall, 26}, {store.TypeMeeting, 24}, {store.TypeTask, 18}, {store.TypeDeadline, 10}, {store.TypeEmail, 13}, {store.TypeLunch, 9}}

// SeedDefault is the seed `calsync demo` uses unless told otherwise.
const SeedDefault = 2026

// Meta keys a demo sandbox carries.
const (
	MetaSeed        = "demo_seed"
	metaDemoCreated = "demo_created_at"
)

// Activities generates n activities around now (in loc) for the given owners (the
// first is me). The same seed, now, loc and owners give the same activities.
func Activities(seed int64, n int, now time.Time, loc *time.Location, owners []string) []store.ActivityInput {
	rng := rand.New(rand.NewSource(seed))
	pick := func(list []string) string { return list[rng.Intn(len(list))] }
	fill := func(tmpl string) string {
		r := strings.NewReplacer("{contact}", pick(demoContacts), "{company}", pick(demoCompanies),
			"{topic}", pick(demoTopics), "{doc}", pick(demoDocs), "{n}", "#"+strconv.Itoa(1000+rng.Intn(9000)))
		return r.Replace(tmpl)
	}
	total := 0
	for _, tw := range demoTypeWeights {
		total += tw.w
	}
	zone := store.TimeZoneName(loc)
	today := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc)
	out := make([]store.ActivityInput, 0, n)
	for i := 0; i < n; i++ {
		x, typ := rng.Intn(total), store.TypeCall
		for _, tw := range demoTypeWeights {
			if x < tw.w {
				typ = tw.t
				break
			}
			x -= tw.w
		}
		// Mostly within six weeks either side of today, a few far in the past or future;
		// a cluster today and this week so the period filters have something to show.
		var day int
		switch r := rng.Intn(100); {
		case r < 12:
			day = 0
		case r < 30:
			day = rng.Intn(7) - 3
		case r < 92:
			day = rng.Intn(85) - 42
		default:
			day = rng.Intn(300) - 150
		}
		date := today.AddDate(0, 0, day)
		if wd := date.Weekday(); (wd == time.Saturday || wd == time.Sunday) && rng.Intn(5) > 0 {
			date = date.AddDate(0, 0, map[time.Weekday]int{time.Saturday: -1, time.Sunday: 1}[wd])
		}
		hour, min := 8+rng.Intn(10), []int{0, 0, 15, 30, 30, 45}[rng.Intn(6)]
		if typ == store.TypeLunch {
			hour, min = 12, []int{0, 30}[rng.Intn(2)]
		}
		in := store.ActivityInput{
			Type:     typ,
			Subject:  fill(pick(demoTemplates[typ])),
			Note:     fill(pick(demoNotes)),
			Start:    time.Date(date.Year(), date.Month(), date.Day(), hour, min, 0, 0, loc),
			TimeZone: zone,
			Origin:   "local",
		}
		switch typ {
		case store.TypeCall:
			in.Duration = time.Duration([]int{15, 30, 30, 45}[rng.Intn(4)]) * time.Minute
		case store.TypeMeeting:
			in.Duration = time.Duration([]int{30, 60, 60, 90}[rng.Intn(4)]) * time.Minute
			in.Location = pick(demoPlaces)
		case store.TypeLunch:
			in.Duration = time.Duration([]int{60, 90}[rng.Intn(2)]) * time.Minute
			in.Location = pick(demoPlaces[5:7])
		case store.TypeTask:
			in.Duration = time.Duration([]int{0, 30, 60}[rng.Intn(3)]) * time.Minute
			in.AllDay = rng.Intn(8) == 0
		case store.TypeDeadline:
			in.AllDay = rng.Intn(10) < 7
		case store.TypeEmail:
			in.Duration = time.Duration([]int{0, 15}[rng.Intn(2)]) * time.Minute
		}
		if in.AllDay {
			in.Duration = 0
		}
		// Half are mine; the rest my two colleagues'.
		if rng.Intn(2) == 0 {
			in.OwnerID = owners[0]
		} else {
			in.OwnerID = owners[1+rng.Intn(len(owners)-1)]
		}
		// Most past activities are done, some were forgotten (overdue); a few future
		// ones were finished early.
		if in.Start.Before(now) {
			in.Done = rng.Intn(100) < 72
		} else {
			in.Done = rng.Intn(100) < 4
		}
		out = append(out, in)
	}
	return out
}

// SeedSummary is what Seed made.
type SeedSummary struct {
	Users      []store.User
	Activities int
}

// Seed fills an empty store with the demo team and n activities, in one transaction.
func Seed(ctx context.Context, st *store.Store, seed int64, n int, now time.Time, loc *time.Location) (SeedSummary, error) {
	var sum SeedSummary
	err := st.Tx(ctx, func(h store.Handler) error {
		// Me is whoever runs the demo when the store already knows (openStore makes me on
		// first run), else the first demo person.
		me, err := store.EnsureMe(ctx, h, demoPeople[0].Name, now)
		if err != nil {
			return fmt.Errorf("create demo user me: %w", err)
		}
		sum.Users = append(sum.Users, me)
		owners := []string{me.ID}
		for _, p := range demoPeople[1:] {
			p.CreatedAt = now
			u, err := store.CreateUser(ctx, h, p)
			if err != nil {
				return fmt.Errorf("create demo user %s: %w", p.Name, err)
			}
			sum.Users = append(sum.Users, u)
			owners = append(owners, u.ID)
		}
		as, err := store.CreateActivities(ctx, h, Activities(seed, n, now, loc, owners), now)
		if err != nil {
			return fmt.Errorf("create demo activities: %w", err)
		}
		sum.Activities = len(as)
		if err := store.SetMeta(ctx, h, MetaSeed, strconv.FormatInt(seed, 10)); err != nil {
			return err
		}
		return store.SetMeta(ctx, h, metaDemoCreated, now.UTC().Format(time.RFC3339))
	})
	return sum, err
}
