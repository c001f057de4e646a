package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestHelpExitsZero: asking for help is not an error; an unknown command is.
func TestHelpExitsZero(t *testing.T) {
	for name := range commands {
		out, err := convlens(t, name, "-h")
		if err != nil {
			t.Errorf("%s -h: %v\n%s", name, err, out)
		}
		if !strings.Contains(out, "Usage of "+name) || !strings.Contains(out, "  -") {
			t.Errorf("%s -h does not list its flags:\n%s", name, out)
		}
	}
	if out, err := convlens(t, "help"); err != nil || !strings.Contains(out, "explore") {
		t.Errorf("help: %v\n%s", err, out)
	}
	_, err := convlens(t, "no-such-command")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Errorf("unknown command: %v, want exit status 2", err)
	}
}

// TestStrayArgumentsRefused: a positional argument (a misplaced value, a forgotten flag name)
// is an error, not silently ignored.
func TestStrayArgumentsRefused(t *testing.T) {
	for name := range commands {
		out, err := convlens(t, name, "stray.png")
		if err == nil {
			t.Errorf("%s with a stray argument exited 0:\n%s", name, out)
		}
		if name != "images" && !strings.Contains(out, `unexpected arguments ["stray.png"]`) {
			t.Errorf("%s with a stray argument: %s", name, out)
		}
	}
}
