package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convlens/convlens/internal/browser"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/nd"
)

// resnet50Script exports torchvision's ResNet-50 (seeded random weights, 1000 classes) at
// 224×224 as the README says: PyTorch's default exporter, weights in a .data file.
const resnet50Script = `import sys, warnings, logging
warnings.filterwarnings("ignore"); logging.disable(logging.WARNING)
import torch, torchvision
torch.manual_seed(0)
m = torchvision.models.resnet50(weights=None).eval()
torch.onnx.export(m, (torch.randn(1, 3, 224, 224),), sys.argv[1], opset_version=17)
`

// Every command, with its defaults, on an ImageNet-size model as a user brings it: exits
// cleanly, writes pages within their budgets, and the pages open in Chromium without
// script errors. (Timings are in bench/imagenet.sh and docs/PERFORMANCE.md.)
func TestImageNetSizeCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("exports and explains ResNet-50")
	}
	py := testutil.TorchPython(t)
	dir := t.TempDir()
	model := filepath.Join(dir, "resnet50.onnx")
	if out, err := exec.Command(py, "-c", resnet50Script, model).CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if _, err := os.Stat(model + ".data"); err != nil {
		t.Fatalf("the default exporter wrote no external data: %v", err)
	}
	images := filepath.Join(dir, "four.npy")
	if err := nd.WriteNpy(images, testutil.RandomArray(3, -2, 2, 4, 3, 224, 224)); err != nil {
		t.Fatal(err)
	}
	out, err := convlens(t, "inspect", "-onnx", model)
	if err != nil || !strings.Contains(out, "input [N, 3, 224, 224] (N, C, H, W), 1000 classes") ||
		!regexp.MustCompile(`(?m)\[2048 7 7\]`).MatchString(out) {
		t.Fatalf("inspect: %v\n%s", err, out)
	}
	logits := filepath.Join(dir, "logits.npy")
	if out, err := convlens(t, "predict", "-onnx", model, "-images", images, "-out", logits); err != nil {
		t.Fatalf("predict: %v\n%s", err, out)
	}
	if l, err := nd.ReadNpy(logits); err != nil || !slices.Equal(l.Shape, []int{4, 1000}) {
		t.Errorf("predict wrote %v (%v)", l.Shape, err)
	}
	pages := []struct {
		args  []string
		maxMB float64
	}{
		{[]string{"explain", "-onnx", model, "-images", images, "-out", filepath.Join(dir, "explain.html")}, 15},
		{[]string{"report", "-onnx", model, "-images", images, "-out", filepath.Join(dir, "report.html")}, 15},
		{[]string{"explore", "-onnx", model, "-images", images, "-out", filepath.Join(dir, "explore.html")}, 26},
	}
	s := browser.Open(t, 4*time.Minute)
	for _, p := range pages {
		start := time.Now()
		out, err := convlens(t, p.args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", p.args[0], err, out)
		}
		file := p.args[len(p.args)-1]
		st, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if mb := float64(st.Size()) / 1e6; mb > p.maxMB {
			t.Errorf("%s: %.1f MB, over %.0f MB", p.args[0], mb, p.maxMB)
		}
		t.Logf("%s: %.1f MB in %.1f s", p.args[0], float64(st.Size())/1e6, time.Since(start).Seconds())
		if err := s.Load(file); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if errs := s.Errors(); len(errs) > 0 {
			t.Errorf("%s: console errors %v", p.args[0], errs)
		}
	}
}
