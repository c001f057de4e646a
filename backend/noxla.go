//go:build !(((linux && amd64) || darwin) && !noxla)

package backend

import (
	"errors"

	"github.com/gomlx/gomlx/backends"
)

const xlaCompiledIn = false

func installedPlugins() []string { return nil }

func newXLA(string) (backends.Backend, error) { return nil, errors.New("XLA not compiled in") }

func autoInstall() error { return errors.New("XLA not compiled in") }
