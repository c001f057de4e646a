package onnx_test

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/onnx"
)

var (
	zooOnce sync.Once
	zooDir  string
	zooTemp string // the exported zoo (2.3 GB), removed when the package's tests end
	zooErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if zooTemp != "" {
		os.RemoveAll(zooTemp)
	}
	if modelsDir != "" && modelsErr == nil {
		os.RemoveAll(modelsDir)
	}
	os.Exit(code)
}

// zoo exports torchvision's CNNs with both exporters once per test binary
// (CONVLENS_ZOO_DIR reuses an earlier export).
func zoo(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("CONVLENS_ZOO_DIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "index.json")); err == nil {
			return d
		}
	}
	py := testutil.TorchPython(t)
	zooOnce.Do(func() {
		if zooDir, zooErr = os.MkdirTemp("", "convlens-zoo-"); zooErr != nil {
			return
		}
		zooTemp = zooDir
		out, err := exec.Command(py, "testdata/zoo.py", zooDir).CombinedOutput()
		if err != nil {
			zooErr, zooDir = err, string(out)
		}
	})
	if zooErr != nil {
		t.Fatalf("exporting the zoo: %v\n%s", zooErr, zooDir)
	}
	return zooDir
}

type zooEntry struct {
	Model, Exporter, Error string
	Size                   int
}

func zooIndex(t *testing.T, dir string) map[string]zooEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx map[string]zooEntry
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx) != 28 {
		t.Errorf("the zoo has %d exports, want 14 models × 2 exporters", len(idx))
	}
	return idx
}

// Every torchvision CNN, as both of PyTorch 2.15's exporters write it, imports and computes
// onnxruntime's logits within 1e-4 of the largest logit, on XLA (a few on SimpleGo).
func TestTorchvisionZoo(t *testing.T) {
	dir := zoo(t)
	idx := zooIndex(t, dir)
	keys := make([]string, 0, len(idx))
	for k := range idx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	xla, gob := testutil.XLA(t), testutil.Go(t)
	for _, key := range keys {
		e := idx[key]
		t.Run(key, func(t *testing.T) {
			b := xla
			if onSimpleGo[key] {
				b = gob
			}
			if e.Error != "" {
				t.Fatalf("PyTorch could not export it: %s", e.Error)
			}
			m, imp, err := onnx.Open(filepath.Join(dir, key+".onnx"), b)
			if err != nil {
				t.Fatal(err)
			}
			input, err := nd.ReadNpy(filepath.Join(dir, key+".input.npy"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := nd.ReadNpy(filepath.Join(dir, key+".logits.npy"))
			if err != nil {
				t.Fatal(err)
			}
			images, err := nd.NCHWToNHWC(input)
			if err != nil {
				t.Fatal(err)
			}
			if s := imp.Spec; s.Height != e.Size || s.Width != e.Size || s.Chans != 3 || s.Classes != 1000 {
				t.Errorf("spec %dx%dx%d → %d", s.Height, s.Width, s.Chans, s.Classes)
			}
			got, err := m.Logits(images)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Shape, want.Shape) {
				t.Fatalf("logits %v, onnxruntime %v", got.Shape, want.Shape)
			}
			if d := maxDiffOfLargest(got.Data, want.Data); d > 1e-4 {
				t.Errorf("logits differ from onnxruntime by %.3g of the largest", d)
			}
		})
	}
}

// onSimpleGo are the exports checked on SimpleGo instead of XLA: one of each exporter's
// idioms (residual, channel shuffle, channels-last layer norm, adaptive pooling by gathers).
var onSimpleGo = map[string]bool{"resnet18.dynamo": true, "shufflenet_v2_x0_5.legacy": true, "convnext_tiny.dynamo": true, "squeezenet1_1.dynamo": true}

// maxDiffOfLargest is the largest absolute difference relative to the largest |want| (at
// least 0.01: outputs of a sigmoid near 0, say, are compared to float32 rounding at 0.01).
func maxDiffOfLargest(got, want []float32) float64 {
	var diff, scale float64
	for i := range want {
		diff = math.Max(diff, math.Abs(float64(got[i])-float64(want[i])))
		scale = math.Max(scale, math.Abs(float64(want[i])))
	}
	return diff / math.Max(scale, 1e-2)
}

// Grad-CAM and saliency through imported models equal pytorch-grad-cam's and Captum's on
// the same weights and images: Grad-CAM at the block that feeds global average pooling
// (correlation ≥ 0.9999 after pytorch-grad-cam's min-max normalisation) and the input
// gradient (correlation ≥ 0.9999, the same largest value within 1e-3).
func TestZooExplanationsMatchReferences(t *testing.T) {
	dir := zoo(t)
	xla := testutil.XLA(t)
	for _, key := range []string{"resnet18.dynamo", "resnet18.legacy", "mobilenet_v2.legacy"} {
		t.Run(key, func(t *testing.T) {
			m, imp, err := onnx.Open(filepath.Join(dir, key+".onnx"), xla)
			if err != nil {
				t.Fatal(err)
			}
			input, err := nd.ReadNpy(filepath.Join(dir, key+".input.npy"))
			if err != nil {
				t.Fatal(err)
			}
			images, _ := nd.NCHWToNHWC(input)
			read := refReader(t, dir, key)
			targets := classIndices(read("targets"))
			layer := ""
			for _, l := range imp.Spec.Layers {
				if l.Kind == layers.GlobalAvgPool {
					layer = l.Inputs[0]
				}
			}
			if layer == "" {
				t.Fatal("no global average pooling")
			}
			ex := explain.New(m)
			for _, c := range []struct {
				file   string
				method explain.Method
			}{{"gradcam", explain.GradCAM{Layer: layer}}, {"gradcampp", explain.GradCAMPlusPlus{Layer: layer}},
				{"hirescam", explain.HiResCAM{Layer: layer}},
				{"xgradcam", explain.XGradCAM{Layer: layer}}, {"layercam", explain.LayerCAM{Layer: layer}},
				{"scorecam", explain.ScoreCAM{Layer: layer}}, {"ablationcam", explain.AblationCAM{Layer: layer}},
				{"eigencam", explain.EigenCAM{Layer: layer}}, {"fullgrad", explain.FullGrad{}}} {
				cam, err := c.method.Attribute(ex, images, targets)
				if err != nil {
					t.Fatal(err)
				}
				want := read(c.file)
				for i := range targets {
					got := minMax(cam.Image(i).Data)
					if r := testutil.Correlation(got, want.Sub(i).Data); r < 0.9999 {
						t.Errorf("image %d: %s at %s correlates %.6f with pytorch-grad-cam's", i, c.method.Name(), layer, r)
					}
				}
			}
			sal, err := explain.Saliency{}.Attribute(ex, images, targets)
			if err != nil {
				t.Fatal(err)
			}
			grad, _ := nd.NCHWToNHWC(read("saliency"))
			if c := testutil.Correlation(sal.Raw.Data, grad.Data); c < 0.9999 {
				t.Errorf("input gradient correlates %.6f with Captum's", c)
			}
			if d := maxDiffOfLargest(sal.Raw.Data, grad.Data); d > 1e-3 {
				t.Errorf("input gradient differs from Captum's by %.3g of the largest", d)
			}
		})
	}
}

// refReader reads the arrays a reference script wrote for key: dir/key.WHAT.npy.
func refReader(t *testing.T, dir, key string) func(what string) nd.Array {
	return func(what string) nd.Array {
		t.Helper()
		a, err := nd.ReadNpy(filepath.Join(dir, key+"."+what+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
}

// classIndices turns the class indices a script saved as floats into ints.
func classIndices(a nd.Array) []int {
	out := make([]int, len(a.Data))
	for i, v := range a.Data {
		out[i] = int(v)
	}
	return out
}

// minMax is pytorch-grad-cam's normalisation of a map: (x − min) / (max − min + 1e-7).
func minMax(v []float32) []float32 {
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = (x - lo) / (hi - lo + 1e-7)
	}
	return out
}
