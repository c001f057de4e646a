package backend

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestOpenChoices(t *testing.T) {
	b, err := Open("go")
	if err != nil || b.Kind != Go || !b.IsGo() {
		t.Fatalf("go: %v %v", b, err)
	}
	for _, bad := range []string{"tpu", "xla:/nonexistent/plugin.so", "cuda"} {
		start := time.Now()
		if _, err := Open(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
		if d := time.Since(start); d > LoadTimeout {
			t.Errorf("%q took %s", bad, d)
		}
	}
}

func TestAutoHonoursGOMLXBackend(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "go")
	b, err := Open("auto")
	if err != nil || b.Kind != Go || !strings.Contains(b.Reason, "GOMLX_BACKEND") {
		t.Fatalf("auto with GOMLX_BACKEND=go: %v %v", b, err)
	}
	t.Setenv("GOMLX_BACKEND", "bogus")
	if _, err := Open(""); err == nil {
		t.Error("GOMLX_BACKEND=bogus: no error")
	}
}

// Without any plugin on the search path, auto falls back to SimpleGo, says why, and does
// so quickly. Run in a subprocess whose plugin search path is an empty folder.
func TestAutoFallsBackWithoutPlugin(t *testing.T) {
	if os.Getenv("CONVLENS_TEST_NO_PLUGIN") == "1" {
		start := time.Now()
		b, err := Open("auto")
		if err != nil || b.Kind != Go || !strings.Contains(b.Reason, "no XLA PJRT plugin") {
			t.Fatalf("fallback: %v %v", b, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("fallback took %s", d)
		}
		if _, err := Open("xla:cpu"); err == nil {
			t.Error("explicit xla:cpu without a plugin: no error")
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAutoFallsBackWithoutPlugin$", "-test.v")
	cmd.Env = append(os.Environ(), "CONVLENS_TEST_NO_PLUGIN=1", "PJRT_PLUGIN_LIBRARY_PATH="+t.TempDir(), "GOMLX_BACKEND=",
		"HOME="+t.TempDir(), "LD_LIBRARY_PATH=")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("subprocess: %v\n%s", err, out)
	}
}

func TestAutoPicksXLAWhenInstalled(t *testing.T) {
	if !xlaCompiledIn || len(installedPlugins()) == 0 {
		t.Skip("no XLA plugin installed")
	}
	t.Setenv("GOMLX_BACKEND", "")
	os.Unsetenv("GOMLX_BACKEND")
	b, err := Open("auto")
	if err != nil || !strings.HasPrefix(b.Kind, "xla:") {
		t.Fatalf("auto: %v %v", b, err)
	}
	t.Log(b)
}
