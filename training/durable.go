package training

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// writeAtomic writes b to path durably: a temp file unique to this process, fsynced,
// renamed over path, then the folder fsynced.
func writeAtomic(path string, b []byte) error {
	tmp, err := writeTemp(path, b)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// writeTemp writes and fsyncs path's temp file and returns its name.
func writeTemp(path string, b []byte) (string, error) {
	if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file (%v); convlens only replaces regular files", path, st.Mode().Type())
	}
	// Created exclusively under a random name: never a file or link someone put there.
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return tmp, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// lockFile is held by the one training run writing a checkpoint folder.
const lockFile = "convlens.lock"

// lockOwner identifies this process beyond its id: the boot and the process's start time,
// so that a lock left by a killed run whose id came back (a container's process 1) reads
// as stale.
func lockOwner(pid int) string {
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return fmt.Sprintf("%d %s %s", pid, strings.TrimSpace(string(boot)), processStart(pid))
}

// processStart is a process's start time in clock ticks since boot ("" where unknown).
func processStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 { // the command name may hold spaces
		if f := strings.Fields(s[i+1:]); len(f) > 19 {
			return f[19]
		}
	}
	return ""
}

// lockHeld reports whether the lock's content names a process that still runs: the same
// id, boot and start time as a live process (only the id, where the system says no more).
func lockHeld(content string) (pid int, held bool) {
	f := strings.Fields(content)
	if len(f) == 0 {
		return 0, false
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 || !processAlive(pid) {
		return pid, false
	}
	if len(f) == 3 {
		return pid, lockOwner(pid) == strings.Join(f, " ")
	}
	return pid, pid != os.Getpid() // an older lock of only an id: never this very process
}

// lockDir takes dir's lock (a file naming this process, lockOwner); a lock whose process no
// longer runs is stale and taken over. It returns the release function.
func lockDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint dir: %w", err)
	}
	path := filepath.Join(dir, lockFile)
	for attempt := 0; attempt < 3; attempt++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%s\n", lockOwner(os.Getpid()))
			f.Close()
			removeStaleTemps(dir)
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("locking %s: %w", dir, err)
		}
		b, _ := os.ReadFile(path)
		if pid, held := lockHeld(string(b)); held {
			return nil, fmt.Errorf("checkpoint folder %s is in use by another training run (process %d holds %s)", dir, pid, path)
		}
		os.Remove(path) // stale: its process is gone (or the file is unreadable)
	}
	return nil, fmt.Errorf("could not lock %s", dir)
}

func processAlive(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// ownFile reports whether a file name in a checkpoint folder is one convlens writes
// (temp files included: ".<name>.<random>.tmp", and older "<name>.tmp-<pid>").
func ownFile(name string) bool {
	base := name
	if t, ok := strings.CutSuffix(name, ".tmp"); ok && strings.HasPrefix(t, ".") {
		if i := strings.LastIndexByte(t, '.'); i > 0 {
			base = t[1:i]
		}
	} else if i := strings.Index(name, ".tmp"); i > 0 {
		base = name[:i]
	}
	return base == metaFile || base == historyFile || base == lockFile ||
		(strings.HasPrefix(base, "ckpt-") && strings.HasSuffix(base, ".bin"))
}

// UsedBy reports whether dir holds a training run's files (its checkpoints or metadata).
func UsedBy(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && ownFile(n) && n != lockFile && !strings.HasSuffix(n, ".tmp") {
			return true
		}
	}
	return false
}

// ClearRun deletes a finished run's files from dir (convlens's own files, nothing else), so
// a new run can start there.
func ClearRun(dir string) error { return removeOwnFiles(dir) }

// removeOwnFiles deletes the files convlens writes in dir and nothing else.
func removeOwnFiles(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() && ownFile(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// removeStaleTemps deletes temp files convlens left in dir when a run was killed mid-write
// (called with the lock held, so no live run owns them).
func removeStaleTemps(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !e.IsDir() && strings.Contains(e.Name(), ".tmp-") && ownFile(e.Name()) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
