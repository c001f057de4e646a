package main

import (
	bin "encoding/binary"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/nd"
)

// A trained checkpoint exported to ONNX and opened again: inspect, predict, explain and
// report give the checkpoint's numbers; bad files and inputs get clear errors.
func TestOnnxCommands(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	if out, err := convlens(t, "train", "-data", "synthetic", "-model", "lenet", "-steps", "12", "-batch", "16",
		"-backend", "go", "-checkpoint", ckpt, "-quiet"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	model := filepath.Join(dir, "lenet.onnx")
	if out, err := convlens(t, "export", "-checkpoint", ckpt, "-out", model, "-backend", "go"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := convlens(t, "inspect", "-onnx", model, "-backend", "go", "-out", filepath.Join(dir, "arch.html"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "input [N, 1, 28, 28] (N, C, H, W), 10 classes") || !strings.Contains(out, "61710 parameters") ||
		!regexp.MustCompile(`(?m)^conv1/Conv\s+conv2d\s+normalise/Div\s+\[6 28 28\]\s+156\s`).MatchString(out) {
		t.Errorf("inspect:\n%s", out)
	}
	// The same images in the checkpoint's layout (NHWC) and the ONNX file's (NCHW).
	nhwc := testutil.RandomArray(9, 0, 1, 4, 28, 28, 1)
	nchw := nd.Array{Shape: []int{4, 1, 28, 28}, Data: nhwc.Data}
	a, b := filepath.Join(dir, "nhwc.npy"), filepath.Join(dir, "nchw.npy")
	nd.WriteNpy(a, nhwc)
	nd.WriteNpy(b, nchw)
	la, lb := filepath.Join(dir, "la.npy"), filepath.Join(dir, "lb.npy")
	if out, err := convlens(t, "predict", "-checkpoint", ckpt, "-images", a, "-out", la, "-backend", "go"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err = convlens(t, "predict", "-onnx", model, "-images", b, "-out", lb, "-backend", "go", "-top", "2")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^nchw\.npy\[3\]:  \d \d+\.\d%  \d \d+\.\d%$`).MatchString(out) {
		t.Errorf("predict output:\n%s", out)
	}
	ga, _ := nd.ReadNpy(la)
	gb, _ := nd.ReadNpy(lb)
	if !slices.Equal(ga.Shape, []int{4, 10}) || testutil.MaxRelDiff(ga.Data, gb.Data) > 1e-5 {
		t.Errorf("logits %v vs %v differ by %g", ga.Shape, gb.Shape, testutil.MaxRelDiff(ga.Data, gb.Data))
	}
	// PNG files in a folder, decoded and resized to the model input.
	pngs := filepath.Join(dir, "pngs")
	os.MkdirAll(pngs, 0o755)
	for i := range 3 {
		img := image.NewGray(image.Rect(0, 0, 56, 40))
		for p := range img.Pix {
			img.Pix[p] = uint8(p * (i + 3))
		}
		img.Set(1, 1, color.White)
		f, _ := os.Create(filepath.Join(pngs, string(rune('a'+i))+".png"))
		png.Encode(f, img)
		f.Close()
	}
	classes := filepath.Join(dir, "classes.txt")
	os.WriteFile(classes, []byte("zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\n<b>eight</b>\nnine\n"), 0o644)
	if out, err := convlens(t, "predict", "-onnx", model, "-images", pngs, "-classes", classes, "-backend", "go"); err != nil ||
		strings.Count(out, ".png:") != 3 || !regexp.MustCompile(`(zero|one|two|three|four|five|six|seven|<b>eight</b>|nine) \d`).MatchString(out) {
		t.Errorf("predict on PNGs: %v\n%s", err, out)
	}
	// Explain with labels (int64, as numpy saves np.array([1, 2, 3, 4])) and raw maps.
	labels := filepath.Join(dir, "labels.npy")
	hdr := "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }"
	hdr += strings.Repeat(" ", 63-(10+len(hdr))%64) + "\n"
	npy := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)), 0)
	npy = append(npy, hdr...)
	for _, v := range []int64{1, 2, 3, 4} {
		npy = bin.LittleEndian.AppendUint64(npy, uint64(v))
	}
	os.WriteFile(labels, npy, 0o644)
	maps := filepath.Join(dir, "maps.npy")
	if out, err := convlens(t, "explain", "-onnx", model, "-images", b, "-labels", labels, "-method", "saliency", "-sanity=false", "-class-vis=false",
		"-save-maps", maps, "-out", filepath.Join(dir, "explain.html"), "-backend", "go"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if m, err := nd.ReadNpy(maps); err != nil || !slices.Equal(m.Shape, []int{4, 28, 28}) || nd.CheckFinite("maps", m.Data) != nil {
		t.Errorf("maps %v %v", m.Shape, err)
	}
	if out, err := convlens(t, "report", "-onnx", model, "-images", b, "-out", filepath.Join(dir, "report.html"), "-backend", "go"); err != nil {
		t.Errorf("report: %v\n%s", err, out)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if !strings.Contains(string(html), "Feature maps") || strings.Contains(string(html), "Training curves") {
		t.Errorf("report sections wrong (%d bytes)", len(html))
	}
	// The explorer on the imported model: file names caption the images, class names stay
	// text, and the page's arithmetic of the first conv layer equals the model's value.
	explore := filepath.Join(dir, "explore.html")
	if out, err := convlens(t, "explore", "-onnx", model, "-images", pngs, "-classes", classes, "-cam-classes", "2", "-out", explore, "-backend", "go"); err != nil {
		t.Fatalf("explore: %v\n%s", err, out)
	}
	checkExplorerPage(t, explore, 3, "a.png: predicted ")
	// Bad inputs.
	corrupt := filepath.Join(dir, "corrupt.onnx")
	raw, _ := os.ReadFile(model)
	os.WriteFile(corrupt, raw[:len(raw)/2], 0o644)
	badLabels := filepath.Join(dir, "bad-labels.npy")
	nd.WriteNpy(badLabels, nd.Array{Shape: []int{4}, Data: []float32{1, 2, 3, 10}})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"inspect", "-onnx", filepath.Join(dir, "missing.onnx")}, "no such file"},
		{[]string{"inspect", "-onnx", corrupt}, "corrupt"},
		{[]string{"inspect", "-onnx", model, "-checkpoint", ckpt}, "give one of"},
		{[]string{"predict", "-onnx", model, "-images", a}, "has shape [4 28 28 1]; the model takes [N, C, H, W]"},
		{[]string{"predict", "-onnx", model}, "-images is required"},
		{[]string{"explain", "-onnx", model, "-images", b, "-labels", badLabels}, "is not a class"},
		{[]string{"explain", "-onnx", model, "-images", b, "-layer", "nope", "-method", "gradcam"}, "nope"},
		{[]string{"predict", "-onnx", model, "-images", filepath.Join(dir, "*.gif")}, "no such file"},
		{[]string{"predict", "-onnx", model, "-images", pngs, "-std", "0"}, "-std"},
		{[]string{"export", "-checkpoint", ckpt}, "-out FILE"},
		{[]string{"explore", "-onnx", model}, "an ONNX model has none: give image files"},
		{[]string{"predict", "-onnx", model, "-images", "4"}, "an ONNX model has none: give image files"},
		{[]string{"explore", "-onnx", model, "-images", pngs, "-layer", "nope"}, `unknown layer "nope"`},
		{[]string{"explore", "-onnx", model, "-images", pngs, "-max-mb", "0"}, "-max-mb"},
		{[]string{"explore", "-onnx", model, "-images", pngs, "extra"}, "unexpected arguments"},
	} {
		out, err := convlens(t, append(c.args, "-backend", "go")...)
		if err == nil || !strings.Contains(out, c.want) || strings.Contains(out, "panic") {
			t.Errorf("convlens %v: err %v, output %q (want %q)", c.args, err, out, c.want)
		}
	}
}

// Writers never write through a link or over a device: export refuses both and leaves the
// link's target as it was.
func TestWritersRefuseLinksAndDevices(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	if out, err := convlens(t, "train", "-data", "synthetic", "-model", "lenet", "-steps", "2", "-batch", "8",
		"-backend", "go", "-checkpoint", ckpt, "-quiet"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	target := filepath.Join(dir, "precious")
	os.WriteFile(target, []byte("keep me"), 0o644)
	link := filepath.Join(dir, "model.onnx")
	os.Symlink(target, link)
	os.Symlink(target, filepath.Join(dir, "other.onnx.tmp")) // where writers once put their temp file
	for _, out := range []string{link, "/dev/full"} {
		if msg, err := convlens(t, "export", "-checkpoint", ckpt, "-out", out, "-backend", "go"); err == nil || !strings.Contains(msg, "not a regular file") {
			t.Errorf("export -out %s: %v\n%s", out, err, msg)
		}
	}
	if msg, err := convlens(t, "export", "-checkpoint", ckpt, "-out", filepath.Join(dir, "other.onnx"), "-backend", "go"); err != nil {
		t.Errorf("export beside a planted temp link: %v\n%s", err, msg)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me" {
		t.Errorf("the link's target now holds %q", b)
	}
	if st, err := os.Stat("/dev/full"); err != nil || st.Mode().IsRegular() {
		t.Errorf("/dev/full: %v %v", st, err)
	}
}
