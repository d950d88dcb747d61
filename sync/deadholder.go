package sync

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// holderIsDead reports whether a lease holder named by holder() ("host-pid-random") is a
// process on this machine that no longer exists: killed (SIGKILL, a crash, power loss of
// the terminal) before it could release its lease. Then the lease need not run out its
// TTL before sync works again. Holders on other hosts, or not in that form, are never
// judged dead: only the TTL frees them.
func holderIsDead(holder string) bool {
	host, pid, ok := parseHolder(holder)
	if !ok || pid == os.Getpid() {
		return false
	}
	if me, err := os.Hostname(); err != nil || me != host {
		return false
	}
	err := syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}

// parseHolder splits "host-pid-random"; the host may itself contain dashes.
func parseHolder(holder string) (host string, pid int, ok bool) {
	i := strings.LastIndexByte(holder, '-')
	if i <= 0 {
		return "", 0, false
	}
	rest := holder[:i]
	j := strings.LastIndexByte(rest, '-')
	if j <= 0 {
		return "", 0, false
	}
	pid, err := strconv.Atoi(rest[j+1:])
	if err != nil || pid <= 0 {
		return "", 0, false
	}
	return rest[:j], pid, true
}
