package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// convlens diff compares two checkpoints of one architecture: a checkpoint against itself
// changes no answer and no weight; two trainings differ, and the page has every section;
// a model of another architecture, or a missing model, is a clear error.
func TestDiffCommand(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	for _, run := range [][]string{
		{"-checkpoint", a, "-steps", "10", "-seed", "1"},
		{"-checkpoint", b, "-steps", "30", "-seed", "2"},
		{"-checkpoint", c, "-steps", "5", "-model", "tinyvgg"},
	} {
		args := append([]string{"train", "-data", "synthetic", "-batch", "32", "-backend", "go", "-quiet"}, run...)
		if out, err := convlens(t, args...); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	page := filepath.Join(dir, "diff.html")
	out, err := convlens(t, "diff", "-a", a, "-b", a, "-backend", "go", "-images", "64", "-out", page)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "0 right → wrong, 0 wrong → right of 64") {
		t.Errorf("a checkpoint against itself:\n%s", out)
	}
	html, _ := os.ReadFile(page)
	for _, m := range regexp.MustCompile(`data-relative="([^"]+)"`).FindAllStringSubmatch(string(html), -1) {
		if m[1] != "0" {
			t.Errorf("a checkpoint against itself: relative change %s", m[1])
		}
	}
	if out, err = convlens(t, "diff", "-a", a, "-b", b, "-backend", "go", "-images", "64", "-out", page); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	html, _ = os.ReadFile(page)
	for _, want := range []string{"Layers", "First filters", "Changed answers", "Confusion matrix difference", `data-cka="`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("diff page lacks %q", want)
		}
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"diff", "-a", a, "-b", c, "-backend", "go"}, "not one architecture"},
		{[]string{"diff", "-a", a, "-backend", "go"}, "give both models"},
		{[]string{"diff", "-a", a, "-b", filepath.Join(dir, "nothing"), "-backend", "go"}, "-b:"},
	} {
		out, err := convlens(t, bad.args...)
		if err == nil || !strings.Contains(out, bad.want) || strings.Contains(out, "panic") {
			t.Errorf("%v: %v %q (want %q)", bad.args, err, out, bad.want)
		}
	}
}
