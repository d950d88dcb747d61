package oskeyring

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/calsync/calsync/store"
)

// realKeyring is the OS keyring under a service name of this test's own, or a skip where
// there is none. CI sets CALSYNC_REQUIRE_KEYRING=1 and runs this under dbus-run-session
// with an unlocked gnome-keyring (.ci/run), so there a missing keyring fails.
func realKeyring(t *testing.T) *Keyring {
	t.Helper()
	k, why := Detect(os.Getenv, 10*time.Second)
	if k == nil {
		if os.Getenv("CALSYNC_REQUIRE_KEYRING") == "1" {
			t.Fatalf("CALSYNC_REQUIRE_KEYRING=1 but no OS keyring: %s", why)
		}
		t.Skipf("no OS keyring here (%s); .ci/run runs this against gnome-keyring", why)
	}
	k.Service = fmt.Sprintf("calsync-test-%d", time.Now().UnixNano())
	return k
}

func TestSecretsMoveIntoTheRealKeyringAndLeaveTheDatabase(t *testing.T) {
	k := realKeyring(t)
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	a, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "caldav", Name: "Home", Login: "ana",
		ServerURL: "https://dav.example.org", AuthKind: "password", State: store.AccountConnected, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	password := []byte("app-pw-7f3k-QQ9z-\x00binary")
	// Saved by a calsync without a keyring: in the database.
	if err := st.SetAccountSecret(ctx, st.DB, a.ID, store.SecretPassword, password, now); err != nil {
		t.Fatal(err)
	}
	if loc, _ := store.SecretLocation(ctx, st.DB, a.ID); loc != store.InDatabase {
		t.Fatalf("location %q before a keyring", loc)
	}

	// The first run with a keyring moves it.
	st.Keyring = k
	t.Cleanup(func() { k.Delete("account/" + a.ID) })
	if n, err := st.MigrateSecretsToKeyring(ctx); err != nil || n != 1 {
		t.Fatalf("migrate = %d, %v", n, err)
	}
	if loc, _ := store.SecretLocation(ctx, st.DB, a.ID); loc != store.InKeyring {
		t.Fatalf("location %q after migration", loc)
	}
	// In the keyring for real (read with the library, not through calsync)...
	raw, err := gokeyring.Get(k.Service, "account/"+a.ID)
	if err != nil {
		t.Fatalf("not in the Secret Service: %v", err)
	}
	if got, _ := base64.StdEncoding.DecodeString(raw); !bytes.Equal(got, password) {
		t.Fatalf("keyring holds %q", got)
	}
	// ...and gone from the database file, WAL included.
	if _, err := st.DB.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.ExecContext(ctx, `VACUUM`); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{store.DBFileName, store.DBFileName + "-wal"} {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); bytes.Contains(b, []byte("app-pw-7f3k")) {
			t.Errorf("the password is still in %s", f)
		}
	}
	if _, v, err := st.AccountSecret(ctx, a.ID); err != nil || !bytes.Equal(v, password) {
		t.Fatalf("AccountSecret = %q, %v", v, err)
	}

	// Sign-out forgets it in the keyring too.
	if err := st.DeleteAccountSecrets(ctx, st.DB, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := gokeyring.Get(k.Service, "account/"+a.ID); !errors.Is(err, gokeyring.ErrNotFound) {
		t.Errorf("still in the keyring after sign-out: %v", err)
	}
}

func TestDetectWithoutASessionBusFallsBackAndSaysWhy(t *testing.T) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("the Keychain and Credential Manager need no session bus")
	}
	env := map[string]string{}
	k, why := Detect(func(s string) string { return env[s] }, time.Second)
	if k != nil || why == "" {
		t.Fatalf("Detect = %v, %q", k, why)
	}
	env["CALSYNC_KEYRING"] = "off"
	env["DBUS_SESSION_BUS_ADDRESS"] = os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if k, why := Detect(func(s string) string { return env[s] }, time.Second); k != nil || why != "CALSYNC_KEYRING=off" {
		t.Fatalf("CALSYNC_KEYRING=off: %v, %q", k, why)
	}
}
