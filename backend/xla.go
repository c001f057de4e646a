//go:build ((linux && amd64) || darwin) && !noxla

package backend

import (
	"sort"

	"github.com/gomlx/go-xla/pkg/pjrt"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"
)

const xlaCompiledIn = true

func init() {
	// Never reach the network implicitly; Open("xla") installs on request only.
	xla.EnableAutoInstall(false)
}

// installedPlugins lists the PJRT plugins go-xla finds on its search path, without installing any.
func installedPlugins() []string {
	var names []string
	for name := range pjrt.AvailablePlugins() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func newXLA(plugin string) (backends.Backend, error) { return xla.New(plugin) }

func autoInstall() error { return xla.AutoInstall() }
