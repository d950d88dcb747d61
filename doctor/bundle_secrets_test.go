package doctor

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// The OAuth client secret stored with an account is a secret like its token: a provider
// message that quoted it (in the journal, or as the account's last error) reaches the
// support bundle as [secret removed], in no shape the credential patterns happen to know.
func TestBundleRemovesTheStoredClientSecret(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	a, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: "Work", Login: "ana@example.com",
		AuthKind: "oauth", State: store.AccountConnected, ClientID: "123-abc.apps.googleusercontent.com", CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	const clientSecret = "GOCSPX-q8Zr2mVb7XwLp0Ks"
	if err := store.PutSecret(ctx, st.DB, a.ID, store.SecretOAuthToken, []byte(`{"access_token":"at-0c1d2e3f4a5b","refresh_token":"rt-9a8b7c6d5e4f"}`), now); err != nil {
		t.Fatal(err)
	}
	if err := store.PutClientSecret(ctx, st.DB, a.ID, []byte(clientSecret)); err != nil {
		t.Fatal(err)
	}
	msg := "invalid_client: the client secret " + clientSecret + " was rotated"
	if err := store.RecordAccountError(ctx, st.DB, a.ID, "AuthExpired", msg, now); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AppendJournal(ctx, st.DB, store.JournalEntry{At: now, AccountID: a.ID, Op: store.OpError, Reason: "AuthExpired",
		Detail: `{"error":"` + msg + `"}`}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteBundle(ctx, st, &buf, BundleOptions{Now: now, Version: "test"}); err != nil {
		t.Fatalf("the bundle should be written with the secret removed: %v", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		all.Write(b)
	}
	if strings.Contains(all.String(), clientSecret) {
		t.Fatal("the OAuth client secret is in the support bundle")
	}
	if !strings.Contains(all.String(), "was rotated") {
		t.Fatal("the rest of the message should stay readable")
	}
}
