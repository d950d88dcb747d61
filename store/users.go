package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// MaxUserNameChars bounds a user's display name.
const MaxUserNameChars = 200

const userColumns = `id, name, email, is_me, created_at`

func scanUser(sc rowScanner) (User, error) {
	var u User
	var created int64
	if err := sc.Scan(&u.ID, &u.Name, &u.Email, &u.IsMe, &created); err != nil {
		return User{}, err
	}
	u.CreatedAt = time.Unix(created, 0).UTC()
	return u, nil
}

// CreateUser stores u. An empty ID gets a new UUIDv7, a zero CreatedAt the current time.
// Only one user may be me: a second one is a ValidationError.
func CreateUser(ctx context.Context, h Handler, u User) (User, error) {
	u.Name = strings.TrimSpace(repairText(u.Name))
	u.Email = strings.TrimSpace(repairText(u.Email))
	u.ID = strings.TrimSpace(u.ID)
	if !hasVisible(u.Name) {
		return User{}, invalid("name", "must not be empty")
	}
	if n := utf8.RuneCountInString(u.Name); n > MaxUserNameChars {
		return User{}, invalid("name", "is %d characters long; at most %d are accepted", n, MaxUserNameChars)
	}
	if u.ID == "me" || u.ID == "all" {
		return User{}, invalid("id", "%q is reserved (it names a filter); choose another id", u.ID)
	}
	if u.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return User{}, err
		}
		u.ID = id.String()
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now()
	}
	u.CreatedAt = u.CreatedAt.UTC().Truncate(time.Second)
	if u.IsMe {
		if me, err := Me(ctx, h); err == nil {
			return User{}, invalid("is_me", "%s (%s) is already me; exactly one user can be me", me.Name, me.ID)
		} else if !errors.Is(err, ErrNotFound) {
			return User{}, err
		}
	}
	var exists int
	err := h.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, u.ID).Scan(&exists)
	if err == nil {
		return User{}, invalid("id", "a user with id %q exists already", u.ID)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return User{}, err
	}
	if _, err := h.ExecContext(ctx, `INSERT INTO users (id, name, email, is_me, created_at) VALUES (?, ?, ?, ?, ?)`,
		u.ID, u.Name, u.Email, u.IsMe, u.CreatedAt.Unix()); err != nil {
		return User{}, fmt.Errorf("store user: %w", err)
	}
	return u, nil
}

// GetUser reads one user; ErrNotFound when there is none with that id.
func GetUser(ctx context.Context, h Handler, id string) (User, error) {
	u, err := scanUser(h.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %q: %w", id, ErrNotFound)
	}
	return u, err
}

// ListUsers returns every user, me first, then by name.
func ListUsers(ctx context.Context, h Handler) ([]User, error) {
	return queryAll(ctx, h, scanUser, `SELECT `+userColumns+` FROM users ORDER BY is_me DESC, name, id`)
}

// Me returns the user who is me; ErrNotFound before the first run created one.
func Me(ctx context.Context, h Handler) (User, error) {
	u, err := scanUser(h.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE is_me = 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user me: %w", ErrNotFound)
	}
	return u, err
}

// EnsureMe returns me, creating it with name (or "Me" when name is empty) on first run.
func EnsureMe(ctx context.Context, h Handler, name string, now time.Time) (User, error) {
	me, err := Me(ctx, h)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return me, err
	}
	if !hasVisible(name) {
		name = "Me"
	}
	u, err := CreateUser(ctx, h, User{Name: name, IsMe: true, CreatedAt: now})
	if err != nil {
		// Another process may have created me between our read and our insert.
		if me, err2 := Me(ctx, h); err2 == nil {
			return me, nil
		}
	}
	return u, err
}
