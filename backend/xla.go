//go:build ((linux && amd64) || darwin) && !noxla

package backend

import (
	"os"
	"sort"
	"strings"

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

func newXLA(plugin string) (backends.Backend, error) {
	if strings.Contains(plugin, "cpu") {
		useOneDNN()
	}
	return xla.New(plugin)
}

// oneDNNFlags route XLA CPU convolutions (and their gradients) to oneDNN primitives
// instead of Eigen's: for the 1–16-channel convolutions of LeNet and TinyVGG, Eigen ran
// at ~5 GFLOP/s (LeNet's first convolution, batch 64: 2.2 ms forward vs 0.6 ms with
// oneDNN), and training steps were 1.3–2.4× slower (docs/PERFORMANCE.md).
const oneDNNFlags = "--xla_cpu_use_onednn=true --xla_cpu_experimental_onednn_custom_call=true"

// useOneDNN adds oneDNNFlags to $XLA_FLAGS, which XLA reads once when the plugin first
// compiles: unless $CONVLENS_XLA_ONEDNN is 0, or $XLA_FLAGS already sets oneDNN options.
func useOneDNN() {
	if os.Getenv("CONVLENS_XLA_ONEDNN") == "0" {
		return
	}
	flags := os.Getenv("XLA_FLAGS")
	if strings.Contains(flags, "onednn") {
		return
	}
	os.Setenv("XLA_FLAGS", strings.TrimSpace(flags+" "+oneDNNFlags))
}

func autoInstall() error { return xla.AutoInstall() }
