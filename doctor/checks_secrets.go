package doctor

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/calsync/calsync/store"
)

// Where each account's token or password lives: the OS keyring, or the database (a
// headless machine, CALSYNC_KEYRING=off, a demo sandbox). Reading it is the evidence that
// calsync can still get at it; nothing is changed or shown.
func init() {
	register(&Check{ID: "secret-storage", Title: "Where is the account's password or token kept, and can calsync read it?",
		Explain:  "calsync keeps each account's secret in the OS keyring (Keychain, Credential Manager, Secret Service) when there is one, else in its database (mode 0600). A keyring that is locked or gone makes sign-ins fail.",
		Symptoms: []Symptom{CantConnect}, PerAccount: true, Run: checkSecretStorage})
}

func checkSecretStorage(ctx context.Context, e *Env, a *AccountView) Finding {
	loc, err := store.SecretLocation(ctx, e.Store.DB, a.Account.ID)
	if err != nil {
		return unverified("could not read where the secret is kept: "+err.Error(), nil)
	}
	if loc == "" {
		return skip(a.Label() + " has no saved sign-in (see the connection check)")
	}
	src := "secrets table (stored_in) and " + where(e.Store, loc)
	ev := Evidence{Observed: "kept in " + where(e.Store, loc), Source: src}
	if _, _, err := e.Store.AccountSecret(ctx, a.Account.ID); err != nil {
		f := fail(fmt.Sprintf("the secret of %s is in %s, and calsync cannot read it: %v", a.Label(), where(e.Store, loc), err), ev)
		f.Remediation = "Unlock the keyring (log in to the desktop session, or run calsync where it is reachable), or sign in again: calsync account reconnect " + a.Account.ID
		return f
	}
	if loc == store.InKeyring {
		return pass("the secret of "+a.Label()+" is in "+where(e.Store, loc)+" and readable", ev)
	}
	ev.Expected = "the OS keyring where there is one"
	return pass(fmt.Sprintf("the secret of %s is in the database (%s, mode 0600): new secrets go to %s", a.Label(),
		filepath.Join(e.Store.Dir, store.DBFileName), e.Store.KeyringStatus()), ev)
}

func where(st *store.Store, loc string) string {
	if loc == store.InKeyring {
		if st.Keyring != nil {
			return "the " + st.Keyring.Name()
		}
		return "the OS keyring"
	}
	return "calsync's database"
}
