package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestClientSecretKeptAcrossTokenRefresh(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	a, err := CreateAccount(ctx, s.DB, Account{Kind: "google", Name: "Work", Login: "a@example.com", AuthKind: "oauth"})
	if err != nil {
		t.Fatal(err)
	}
	if err := PutClientSecret(ctx, s.DB, a.ID, []byte("cs")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("client secret without a sign-in: %v", err)
	}
	if err := PutSecret(ctx, s.DB, a.ID, SecretOAuthToken, []byte(`{"access_token":"x"}`), now); err != nil {
		t.Fatal(err)
	}
	if cs, err := GetClientSecret(ctx, s.DB, a.ID); err != nil || len(cs) != 0 {
		t.Fatalf("fresh account: %q %v", cs, err)
	}
	if err := PutClientSecret(ctx, s.DB, a.ID, []byte("GOCSPX-canary")); err != nil {
		t.Fatal(err)
	}
	// A refreshed token is saved through SaveSecret: the client secret must survive it.
	if err := s.SaveSecret(ctx, a.ID, []byte(`{"access_token":"y"}`)); err != nil {
		t.Fatal(err)
	}
	cs, err := GetClientSecret(ctx, s.DB, a.ID)
	if err != nil || string(cs) != "GOCSPX-canary" {
		t.Fatalf("after refresh: %q %v", cs, err)
	}
	if err := DeleteAccount(ctx, s.DB, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := GetClientSecret(ctx, s.DB, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after remove: %v", err)
	}
}
