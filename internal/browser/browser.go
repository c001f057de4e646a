// Package browser drives Debian's headless Chromium for tests: it loads a local HTML file
// with networking disabled and returns the DOM after scripts ran.
package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// Find returns the Chromium binary, or "" when none is installed.
func Find() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Require returns Chromium or skips the test; with CONVLENS_REQUIRE_BROWSER=1 (set by
// `make test`, which installs it) a missing browser fails the test instead.
func Require(t testing.TB) string {
	p := Find()
	if p == "" {
		if os.Getenv("CONVLENS_REQUIRE_BROWSER") == "1" {
			t.Fatal("headless Chromium required but not installed (apt-get install chromium)")
		}
		t.Skip("headless Chromium not installed (apt-get install chromium); browser checks skipped")
	}
	return p
}

// DumpDOM opens file (a local path) offline and returns the serialized DOM once scripts
// have run.
func DumpDOM(chromium, file string) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	profile, err := os.MkdirTemp("", "convlens-chromium")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--disable-quic", "--proxy-server=127.0.0.1:9", "--user-data-dir="+profile,
		"--virtual-time-budget=10000", "--window-size=1280,2000", "--dump-dom", "file://"+abs)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("chromium --dump-dom %s: %w", file, err)
	}
	return string(out), nil
}

var instanceRE = regexp.MustCompile(`_echarts_instance_="[^"]+"`)

var staticRE = regexp.MustCompile(`<div class="chart-static"><img src="data:image/png;base64,`)

// StaticCharts counts the static chart pictures (PNG) in a page's markup or a DOM dump: in
// the markup as written, what a viewer without JavaScript shows; in a DOM dump after
// scripts ran, the charts that the live chart did not replace.
func StaticCharts(html string) int { return len(staticRE.FindAllString(html, -1)) }

// DrawnCharts counts the containers ECharts initialised in a DOM dump.
func DrawnCharts(dom string) int { return len(instanceRE.FindAllString(dom, -1)) }
