package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/store"
)

// A client secret is never taken from the arguments (ps and the shell history show them):
// the command refuses it without echoing it, and says where it can come from.
func TestClientSecretInTheArgumentsIsRefused(t *testing.T) {
	cli, _ := googleCLI(t, googlefake.Options{Login: "pat@example.com"})
	for _, args := range [][]string{
		{"account", "add", "google", "--client-secret", "GOCSPX-in-argv"},
		{"account", "add", "google", "--client-secret=GOCSPX-in-argv"},
	} {
		code, out, errOut := cli.run("", args...)
		if code != exitUsage || !strings.Contains(errOut, "--client-secret-stdin") || !strings.Contains(errOut, "CALSYNC_GOOGLE_CLIENT_SECRET") {
			t.Errorf("%q: exit %d %q", args, code, errOut)
		}
		if strings.Contains(out+errOut, "GOCSPX-in-argv") {
			t.Errorf("%q: the secret was echoed", args)
		}
	}
	if len(cli.accounts()) != 0 {
		t.Fatal("an account was saved")
	}
}

// From stdin and from a file, the client secret signs in (the fake checks it) and is kept
// for later refreshes; a wrong one from a file fails the sign-in.
func TestClientSecretFromStdinOrFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(file, []byte("test-secret\n"), 0o600)
	for _, tc := range []struct {
		name, stdin string
		args        []string
	}{
		{"stdin", "test-secret\n", []string{"--client-secret-stdin"}},
		{"file", "", []string{"--client-secret-file", file}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cli, fake := googleCLI(t, googlefake.Options{Login: "pat@example.com"})
			delete(cli.env, "CALSYNC_GOOGLE_CLIENT_SECRET")
			if code, out, errOut := cli.run(tc.stdin, append([]string{"account", "add", "google"}, tc.args...)...); code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			id := cli.accounts()[0].ID
			if code, _, errOut := cli.run("", "settings", "set", "--account", id, "--calendar", "pat@example.com", "--enable"); code != 0 {
				t.Fatalf("settings: %s", errOut)
			}
			fake.ExpireAccessTokens()
			if code, out, errOut := cli.run("", "sync", "--account", id); code != 0 {
				t.Fatalf("refresh with the kept client secret: exit %d\n%s\n%s", code, out, errOut)
			}
		})
	}
	cli, _ := googleCLI(t, googlefake.Options{Login: "pat@example.com"})
	delete(cli.env, "CALSYNC_GOOGLE_CLIENT_SECRET")
	wrong := filepath.Join(t.TempDir(), "wrong.txt")
	os.WriteFile(wrong, []byte("wrong-secret\n"), 0o600)
	if code, _, _ := cli.run("", "account", "add", "google", "--client-secret-file", wrong); code == 0 {
		t.Fatal("a wrong client secret from the file signed in")
	}
	if code, _, errOut := cli.run("", "account", "add", "google", "--client-secret-file", filepath.Join(t.TempDir(), "missing")); code != exitUsage || !strings.Contains(errOut, "--client-secret-file") {
		t.Fatalf("missing file: %d %q", code, errOut)
	}
}

// account list says where each account's secret lives, in the table and in --json; here
// (tests run without the OS keyring) that is the database, and it says why.
func TestAccountListSaysWhereEachSecretLives(t *testing.T) {
	cli, _ := googleCLI(t, googlefake.Options{Login: "pat@example.com"})
	code, out, errOut := cli.run("", "account", "add", "google", "--name", "Work")
	if code != 0 || !strings.Contains(out, "Its password or token is kept in the database (this calsync was started without the OS keyring)") {
		t.Fatalf("add: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = cli.run("", "account", "list")
	if code != 0 || !strings.Contains(out, "SECRET IN") || !strings.Contains(out, " database ") ||
		!strings.Contains(out, "new ones go to the database (this calsync was started without the OS keyring)") {
		t.Fatalf("list: %d\n%s\n%s", code, out, errOut)
	}
	_, js, _ := cli.run("", "account", "list", "--json")
	var got []struct {
		SecretStoredIn string `json:"secret_stored_in"`
	}
	if err := json.Unmarshal([]byte(js), &got); err != nil || len(got) != 1 || got[0].SecretStoredIn != store.InDatabase {
		t.Fatalf("--json: %v %s", err, js)
	}
	if strings.Contains(js, "test-secret") || strings.Contains(js, "access_token") {
		t.Fatalf("a secret in --json: %s", js)
	}
}
