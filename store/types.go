package store

import "time"

// ActivityType is one of the CRM's activity kinds.
type ActivityType string

const (
	TypeCall     ActivityType = "call"
	TypeMeeting  ActivityType = "meeting"
	TypeTask     ActivityType = "task"
	TypeDeadline ActivityType = "deadline"
	TypeEmail    ActivityType = "email"
	TypeLunch    ActivityType = "lunch"
)

// AllTypes lists the activity types in display order.
var AllTypes = []ActivityType{TypeCall, TypeMeeting, TypeTask, TypeDeadline, TypeEmail, TypeLunch}

// User is a CRM user; exactly one is "me".
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email,omitempty"`
	IsMe      bool      `json:"is_me"`
	CreatedAt time.Time `json:"created_at"`
}

// Activity is a CRM activity. Times are UTC; TimeZone is where it was planned.
type Activity struct {
	ID        string        `json:"id"`
	OwnerID   string        `json:"owner_id"`
	Type      ActivityType  `json:"type"`
	Subject   string        `json:"subject"`
	Note      string        `json:"note,omitempty"`
	Location  string        `json:"location,omitempty"`
	Start     time.Time     `json:"start"`
	TimeZone  string        `json:"time_zone"`
	Duration  time.Duration `json:"duration"` // 0 = no time
	AllDay    bool          `json:"all_day"`
	Done      bool          `json:"done"`
	DoneAt    *time.Time    `json:"done_at,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
	DeletedAt *time.Time    `json:"deleted_at,omitempty"`
	Rev       int64         `json:"rev"`
	Origin    string        `json:"origin"` // "local" or the importing account's id
}

// Account states.
const (
	AccountConnected   = "connected"
	AccountNeedsReauth = "needs_reauth"
	AccountDisabled    = "disabled"
)

// Account is a connected calendar account. Its secret lives in the secrets table.
type Account struct {
	ID               string     `json:"id"`
	Kind             string     `json:"kind"` // google | microsoft | caldav
	Name             string     `json:"name"`
	Login            string     `json:"login"`
	ServerURL        string     `json:"server_url,omitempty"`
	Endpoints        string     `json:"-"` // JSON providers.Endpoints
	ClientID         string     `json:"client_id,omitempty"`
	AuthKind         string     `json:"auth_kind"` // oauth | password
	State            string     `json:"state"`
	GrantedScopes    []string   `json:"granted_scopes,omitempty"`
	LastErrorKind    string     `json:"last_error_kind,omitempty"`
	LastErrorMessage string     `json:"last_error_message,omitempty"`
	LastErrorAt      *time.Time `json:"last_error_at,omitempty"`
	LastSyncAt       *time.Time `json:"last_sync_at,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// Calendar is a remote calendar as last listed.
type Calendar struct {
	AccountID string    `json:"account_id"`
	RemoteID  string    `json:"id"`
	Name      string    `json:"name"`
	TimeZone  string    `json:"time_zone,omitempty"`
	ReadOnly  bool      `json:"read_only"`
	Primary   bool      `json:"primary"`
	HasEvents bool      `json:"has_events"`
	SeenAt    time.Time `json:"seen_at"`
}

// Sync directions.
const (
	DirTwoWay       = "two-way"
	DirToCalendar   = "to-calendar"
	DirFromCalendar = "from-calendar"
)

// Conflict policies.
const (
	PolicyNewestWins = "newest-wins"
	PolicyLocalWins  = "local-wins"
	PolicyRemoteWins = "remote-wins"
)

// SyncSettings is how one account syncs.
type SyncSettings struct {
	AccountID        string         `json:"account_id"`
	CalendarID       string         `json:"calendar_id"`
	Direction        string         `json:"direction"`
	Types            []ActivityType `json:"types"`
	ImportType       ActivityType   `json:"import_type"`
	ActivatedAt      *time.Time     `json:"activated_at,omitempty"`
	BackfillFrom     *time.Time     `json:"backfill_from,omitempty"`
	ConflictPolicy   string         `json:"conflict_policy"`
	Enabled          bool           `json:"enabled"`
	Interval         time.Duration  `json:"interval"`
	WindowPastDays   int            `json:"window_past_days"`
	WindowFutureDays int            `json:"window_future_days"`
	UpdatedAt        time.Time      `json:"updated_at"`
}

// Link states.
const (
	LinkPendingCreate = "pending_create"
	LinkSynced        = "synced"
	LinkPendingDelete = "pending_delete"
	LinkQuarantined   = "quarantined"
)

// Link ties an activity to a remote event in one account's calendar.
type Link struct {
	ID            int64      `json:"id"`
	ActivityID    string     `json:"activity_id"`
	AccountID     string     `json:"account_id"`
	CalendarID    string     `json:"calendar_id"`
	RemoteID      string     `json:"remote_id"`
	RemoteETag    string     `json:"remote_etag,omitempty"`
	ICalUID       string     `json:"ical_uid,omitempty"`
	SyncedRev     int64      `json:"synced_rev"`
	RemoteUpdated *time.Time `json:"remote_updated,omitempty"`
	State         string     `json:"state"`
	LastError     string     `json:"last_error,omitempty"`
	LastSyncedAt  *time.Time `json:"last_synced_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// Cursor is a provider change token for one calendar.
type Cursor struct {
	AccountID  string    `json:"account_id"`
	CalendarID string    `json:"calendar_id"`
	Token      string    `json:"-"`
	TakenAt    time.Time `json:"taken_at"`
	// BeforeWrites: the token predates writes calsync made to the calendar that no later
	// token confirmed (see migration 0008); the next run lists in full instead.
	BeforeWrites bool `json:"before_writes,omitempty"`
}

// Journal operations.
const (
	OpPushed   = "pushed"
	OpPulled   = "pulled"
	OpSkipped  = "skipped"
	OpConflict = "conflict"
	OpError    = "error"
	OpFixed    = "fixed"
	OpUndone   = "undone"
	OpInfo     = "info"
)

// JournalEntry is one decision the engine or the doctor made.
type JournalEntry struct {
	ID         int64     `json:"id"`
	RunID      string    `json:"run_id,omitempty"`
	At         time.Time `json:"at"`
	AccountID  string    `json:"account_id,omitempty"`
	ActivityID string    `json:"activity_id,omitempty"`
	RemoteID   string    `json:"remote_id,omitempty"`
	Op         string    `json:"op"`
	Reason     string    `json:"reason,omitempty"`
	Detail     string    `json:"detail,omitempty"`
}
