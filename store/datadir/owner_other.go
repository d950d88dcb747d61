//go:build !unix

package datadir

import "io/fs"

// ownedByMe: ownership is not a mode bit outside Unix; the other rules still apply.
func ownedByMe(fs.FileInfo) bool { return true }
