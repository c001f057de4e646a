// Package backend opens a GoMLX backend for convlens: XLA (CPU or CUDA) when a PJRT
// plugin loads, else the pure-Go SimpleGo backend. It never panics and never waits
// on the network: GoMLX's own plugin auto-install is only used when asked for.
package backend

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
)

// Names of the backends as reported in metrics files.
const (
	XLACPU  = "xla:cpu"
	XLACUDA = "xla:cuda"
	Go      = "go"
)

// LoadTimeout bounds how long opening an XLA plugin may take before falling back.
var LoadTimeout = 90 * time.Second

// Backend is an opened GoMLX backend with the reason it was chosen.
type Backend struct {
	backends.Backend
	// Kind is XLACPU, XLACUDA or Go.
	Kind string
	// Reason says, in one line, why this backend was chosen.
	Reason string
}

// String is one line for logs: "backend xla:cpu (plugin ...)".
func (b *Backend) String() string { return fmt.Sprintf("backend %s: %s", b.Kind, b.Reason) }

// IsGo reports whether b is the SimpleGo backend.
func (b *Backend) IsGo() bool { return b.Kind == Go }

// Open opens a backend by choice:
//
//   - "auto" or "": $GOMLX_BACKEND if set; else XLA CUDA when a GPU and its plugin are
//     present, else XLA CPU when its plugin is installed, else SimpleGo. Never reaches the network.
//   - "xla": XLA with the best installed plugin; if none is installed, GoMLX's auto-install
//     (needs internet; bounded by LoadTimeout).
//   - "xla:cpu", "xla:cuda": that plugin; "xla:/abs/path/plugin.so": that file.
//   - "go": SimpleGo.
func Open(choice string) (*Backend, error) {
	choice = strings.TrimSpace(choice)
	switch {
	case choice == "" || choice == "auto":
		if env := os.Getenv(backends.ConfigEnvVar); env != "" {
			b, err := Open(env)
			if err != nil {
				return nil, fmt.Errorf("$%s=%q: %w", backends.ConfigEnvVar, env, err)
			}
			b.Reason = fmt.Sprintf("$%s=%s; %s", backends.ConfigEnvVar, env, b.Reason)
			return b, nil
		}
		return openAuto()
	case choice == "go" || choice == "simplego":
		return openGo("requested")
	case choice == "xla":
		return openXLA("", true)
	case strings.HasPrefix(choice, "xla:"):
		return openXLA(strings.TrimPrefix(choice, "xla:"), false)
	default:
		return nil, fmt.Errorf("unknown backend %q: want auto, xla, xla:cpu, xla:cuda, xla:/path/plugin.so or go", choice)
	}
}

// goConfig runs SimpleGo's ops one at a time: in v0.26.0 its parallel op scheduler and its
// parallel DotGeneral share one worker pool, and several DotGenerals ready at once (as in
// a gradient graph) can take every worker and wait on each other forever.
const goConfig = "go:ops_sequential"

func openGo(reason string) (*Backend, error) {
	b, err := backends.NewWithConfig(goConfig)
	if err != nil {
		return nil, fmt.Errorf("SimpleGo backend: %w", err)
	}
	return &Backend{Backend: b, Kind: Go, Reason: reason}, nil
}

func openAuto() (*Backend, error) {
	if !xlaCompiledIn {
		return openGo("this binary was built without XLA (tag noxla)")
	}
	plugins := installedPlugins()
	var tried []string
	for _, name := range []string{"cuda", "cpu"} {
		if !slices.Contains(plugins, name) {
			continue
		}
		if name == "cuda" && !gpuPresent() {
			tried = append(tried, "cuda plugin found but no NVIDIA GPU device")
			continue
		}
		b, err := openXLAPlugin(name)
		if err == nil {
			b.Reason = fmt.Sprintf("auto: XLA %s plugin loaded", name)
			if len(tried) > 0 {
				b.Reason += " (" + strings.Join(tried, "; ") + ")"
			}
			return b, nil
		}
		tried = append(tried, fmt.Sprintf("%s plugin failed: %v", name, err))
	}
	reason := "auto: no XLA PJRT plugin installed (run `make plugin`, or use -backend xla with internet access)"
	if len(tried) > 0 {
		reason = "auto: " + strings.Join(tried, "; ")
	}
	return openGo(reason + "; using SimpleGo")
}

func openXLA(plugin string, allowInstall bool) (*Backend, error) {
	if !xlaCompiledIn {
		return nil, fmt.Errorf("this binary was built without XLA (tag noxla): use -backend go")
	}
	if plugin == "" {
		plugins := installedPlugins()
		switch {
		case slices.Contains(plugins, "cuda") && gpuPresent():
			plugin = "cuda"
		case slices.Contains(plugins, "cpu"):
			plugin = "cpu"
		case allowInstall:
			if err := withTimeout("installing the XLA plugin (GoMLX auto-install, needs internet)", autoInstall); err != nil {
				return nil, err
			}
			plugin = "cpu"
		default:
			return nil, fmt.Errorf("no XLA PJRT plugin installed")
		}
	}
	b, err := openXLAPlugin(plugin)
	if err != nil {
		return nil, err
	}
	b.Reason = "requested"
	return b, nil
}

func openXLAPlugin(plugin string) (*Backend, error) {
	var b backends.Backend
	err := withTimeout("loading XLA plugin "+plugin, func() error {
		var err error
		b, err = newXLA(plugin)
		return err
	})
	if err != nil {
		return nil, err
	}
	kind := XLACPU
	if strings.Contains(strings.ToLower(plugin), "cuda") {
		kind = XLACUDA
	}
	return &Backend{Backend: b, Kind: kind}, nil
}

// withTimeout runs fn, returning an error if it panics or takes longer than LoadTimeout.
func withTimeout(what string, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("%s: %v", what, r)
			}
		}()
		done <- fn()
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	case <-time.After(LoadTimeout):
		return fmt.Errorf("%s: gave up after %s", what, LoadTimeout)
	}
}

func gpuPresent() bool {
	_, err := os.Stat("/dev/nvidia0")
	return err == nil
}

// KeepHeap keeps XLA CPU's freed kernel buffers on the heap for reuse (keepHeap): what
// repeated training steps want, and one-shot views do not. It is a no-op on other backends.
func (b *Backend) KeepHeap() {
	if b != nil && b.Kind == XLACPU {
		keepHeap()
	}
}
