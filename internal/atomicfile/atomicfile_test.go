package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Write never writes through a link or over a device, leaves no temp file behind, and
// concurrent writers each land whole.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("precious"), 0o644)
	link := filepath.Join(dir, "model.onnx")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, []byte("new"), 0o644); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("writing through a link: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "precious" {
		t.Errorf("the link's target became %q", b)
	}
	if err := Write("/dev/null", []byte("x"), 0o644); err == nil {
		t.Error("replaced a device")
	}
	// A link planted where older writers put their temp file changes nothing.
	os.Symlink(target, filepath.Join(dir, "out.onnx.tmp"))
	out := filepath.Join(dir, "out.onnx")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := Write(out, []byte(strings.Repeat(string(rune('a'+i)), 1<<16)), 0o600); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	b, _ := os.ReadFile(out)
	if len(b) != 1<<16 || strings.Count(string(b), string(b[:1])) != len(b) {
		t.Errorf("concurrent writers interleaved: %d bytes", len(b))
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	if b, _ := os.ReadFile(target); string(b) != "precious" {
		t.Errorf("the planted link's target became %q", b)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") && e.Name() != "out.onnx.tmp" {
			t.Errorf("temp file left: %s", e.Name())
		}
	}
}
