package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/convlens/convlens/live"
	"github.com/convlens/convlens/onnx"
)

// explore -timelapse puts a run's checkpoints behind a slider, from the initial weights
// (train -checkpoint-steps 0) to the opened one; -examples searches that many held-out
// images for each channel's top ones.
func TestExploreTimeLapseAndExamples(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	if out, err := convlens(t, "train", "-data", "synthetic", "-steps", "12", "-batch", "16", "-backend", "go", "-checkpoint", ckpt,
		"-checkpoint-steps", "0,3,6,9", "-quiet"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	page := filepath.Join(dir, "explore.html")
	if out, err := convlens(t, "explore", "-checkpoint", ckpt, "-backend", "go", "-images", "2", "-timelapse", "3", "-examples", "40",
		"-out", page); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<script type="application/json" id="[^"]+-data">(.*?)</script>`).FindSubmatch(html)
	if m == nil {
		t.Fatal("no explorer data")
	}
	var p struct {
		Steps []struct {
			Label  string `json:"label"`
			Images []any  `json:"images"`
		} `json:"steps"`
		StepLabel string                      `json:"stepLabel"`
		Examples  map[string][]map[string]any `json:"examples"`
		From      string                      `json:"examplesFrom"`
	}
	if err := json.Unmarshal(m[1], &p); err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, s := range p.Steps {
		labels = append(labels, s.Label)
		if len(s.Images) != 2 {
			t.Errorf("%s: %d images, want 2", s.Label, len(s.Images))
		}
	}
	if want := []string{"step 0", "step 6"}; !slices.Equal(labels, want) || p.StepLabel != "step 12" {
		t.Errorf("time-lapse steps %v then %q, want %v then step 12", labels, p.StepLabel, want)
	}
	if p.From != "40 held-out images" || len(p.Examples["conv1"]) == 0 {
		t.Errorf("examples from %q, conv1 rows %d", p.From, len(p.Examples["conv1"]))
	}
	checkExplorerPage(t, page, 2, "image 1: true ")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"explore", "-checkpoint", ckpt, "-backend", "go", "-timelapse", "1"}, "at least 2"},
		{[]string{"explore", "-checkpoint", filepath.Join(ckpt, "ckpt-00000000.bin"), "-backend", "go", "-timelapse", "4"}, "first checkpoint"},
		{[]string{"train", "-data", "synthetic", "-steps", "2", "-checkpoint", filepath.Join(dir, "b"), "-checkpoint-steps", "1,x"}, "-checkpoint-steps"},
	} {
		out, err := convlens(t, c.args...)
		if err == nil || !strings.Contains(out, c.want) || strings.Contains(out, "panic") {
			t.Errorf("%v: %v %q (want %q)", c.args, err, out, c.want)
		}
	}
}

// explore -live writes one page that carries the model and the engine (LeNet's page within
// 8 MB); without the engine's files it says where they come from.
func TestExploreLive(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	if out, err := convlens(t, "train", "-model", "lenet", "-data", "synthetic", "-steps", "4", "-batch", "8", "-backend", "go",
		"-checkpoint", ckpt, "-quiet"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	engine := filepath.Join(dir, "engine")
	if err := os.MkdirAll(engine, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := live.BuildEngine(engine); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "live.html")
	if out, err := convlens(t, "explore", "-checkpoint", ckpt, "-backend", "go", "-images", "4", "-live", "-engine", engine,
		"-out", page); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if len(html) > 8<<20 || !strings.Contains(string(html), `-engine">H4sI`) || !strings.Contains(string(html), "convlensLive(") {
		t.Errorf("live page: %d bytes, engine inlined %v", len(html), strings.Contains(string(html), `-engine">H4sI`))
	}
	t.Logf("LeNet's live page: %.2f MB", float64(len(html))/(1<<20))
	// The static site, with the checkpoint as a sample model and held-out digits.
	siteDir := filepath.Join(dir, "site")
	if out, err := convlens(t, "site", "-checkpoint", ckpt, "-backend", "go", "-images", "3", "-engine", engine, "-out", siteDir); err != nil {
		t.Fatalf("site: %v\n%s", err, out)
	}
	index, err := os.ReadFile(filepath.Join(siteDir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	sample, err := os.ReadFile(filepath.Join(siteDir, "samples", "lenet.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := onnx.Decode(sample); err != nil {
		t.Errorf("the sample model: %v", err)
	}
	pngs, _ := filepath.Glob(filepath.Join(siteDir, "samples", "*.png"))
	if len(pngs) != 3 || !strings.Contains(string(index), "convlensSite(") || !strings.Contains(string(index), `"name":"lenet.onnx"`) {
		t.Errorf("site: %d sample images, page of %d bytes", len(pngs), len(index))
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"explore", "-checkpoint", ckpt, "-backend", "go", "-live", "-engine", dir}, "make build writes it"},
		{[]string{"explore", "-checkpoint", ckpt, "-backend", "go", "-live", "-engine", engine, "-timelapse", "2"}, "leave out -timelapse"},
		{[]string{"site", "-engine", dir, "-out", filepath.Join(dir, "s2")}, "make build writes it"},
		{[]string{"site", "-engine", engine, "-onnx", page, "-out", filepath.Join(dir, "s3")}, "-onnx"},
	} {
		out, err := convlens(t, c.args...)
		if err == nil || !strings.Contains(out, c.want) || strings.Contains(out, "panic") {
			t.Errorf("%v: %v %q (want %q)", c.args, err, out, c.want)
		}
	}
}
