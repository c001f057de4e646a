package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// intFlag checks that a numeric flag lies in [lo, hi].
func intFlag(name string, v, lo, hi int) error {
	if v < lo || v > hi {
		return fmt.Errorf("-%s %d outside [%d, %d]", name, v, lo, hi)
	}
	return nil
}

// floatFlag checks that a numeric flag is finite and in (lo, hi].
func floatFlag(name string, v, lo, hi float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= lo || v > hi {
		return fmt.Errorf("-%s %v outside (%g, %g]", name, v, lo, hi)
	}
	return nil
}

// writableFile checks before any work that a file can be created at path (its folder is
// made if missing); nothing is left behind.
func writableFile(flagName, path string) error {
	if path == "" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("-%s %s is a folder, not a file", flagName, path)
	}
	return writableDir(flagName, filepath.Dir(path))
}

// writableDir checks that files can be created in dir (made if missing).
func writableDir(flagName, dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-%s: cannot create %s: %w", flagName, dir, err)
	}
	f, err := os.CreateTemp(dir, ".convlens-write-check-*")
	if err != nil {
		return fmt.Errorf("-%s: cannot write in %s: %w", flagName, dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// finite returns v, or 0 when v is NaN or infinite (JSON has no NaN).
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// parseFlags parses a command's flags and refuses positional arguments, which no command
// takes (inputs go in flags such as -images), so that a misplaced value is not ignored.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (every input is a flag: %s -h lists them)", fs.Args(), fs.Name())
	}
	return nil
}
