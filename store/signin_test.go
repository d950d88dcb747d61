package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSignInTimeIsKeptApartFromCreation(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	created := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	a, err := CreateAccount(ctx, s.DB, Account{Kind: "google", Login: "a@example.com", CreatedAt: created})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := LastSignIn(ctx, s.DB, a.ID); ok || err != nil {
		t.Fatalf("a fresh account has no recorded sign-in: %v %v", ok, err)
	}
	signed := created.Add(10 * 24 * time.Hour)
	if err := RecordSignIn(ctx, s.DB, a.ID, signed); err != nil {
		t.Fatal(err)
	}
	at, ok, err := LastSignIn(ctx, s.DB, a.ID)
	if err != nil || !ok || !at.Equal(signed) {
		t.Fatalf("got %v %v %v", at, ok, err)
	}
	if err := RecordSignIn(ctx, s.DB, "nope", signed); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
}
