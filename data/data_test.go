package data

import (
	"bytes"
	"compress/gzip"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestLoadMNISTFixture(t *testing.T) {
	ds, err := LoadMNIST("testdata/mnist100", Test)
	if err != nil {
		t.Fatal(err)
	}
	if ds.N != 100 || ds.H != 28 || ds.W != 28 || ds.C != 1 || len(ds.Images) != 100*784 {
		t.Fatalf("dataset %d %dx%dx%d, %d values", ds.N, ds.H, ds.W, ds.C, len(ds.Images))
	}
	if !slices.Equal(ds.Labels[:10], []int32{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}) {
		t.Errorf("first labels %v", ds.Labels[:10])
	}
	lo, hi := slices.Min(ds.Images), slices.Max(ds.Images)
	if lo != 0 || hi != 1 {
		t.Errorf("pixel range [%v, %v], want [0, 1]", lo, hi)
	}
	nz := ds.ComputeNormalization()
	if len(nz.Mean) != 1 || nz.Mean[0] < 0.1 || nz.Mean[0] > 0.15 || nz.Std[0] < 0.28 || nz.Std[0] > 0.33 {
		t.Errorf("normalisation %+v, MNIST is about mean 0.13 std 0.31", nz)
	}
	img := slices.Clone(ds.Image(0))
	nz.Apply(img)
	nz.Invert(img)
	for i, v := range img {
		if d := v - ds.Image(0)[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("normalise/invert changed pixel %d by %v", i, d)
		}
	}
}

func TestBadIDXFilesGiveErrorsNamingThem(t *testing.T) {
	for file, want := range map[string]string{
		"testdata/truncated-images-idx3-ubyte": "truncated",
		"testdata/badmagic-idx3-ubyte":         "not an IDX file",
		"testdata/trailing-labels-idx1-ubyte":  "trailing data",
		"testdata/missing-idx3-ubyte":          "no such file",
	} {
		_, err := ReadIDX(file)
		if err == nil || !strings.Contains(err.Error(), want) || (want != "no such file" && !strings.Contains(err.Error(), file)) {
			t.Errorf("%s: error %v, want %q and the file name", file, err, want)
		}
	}
	if _, err := LoadMNIST(t.TempDir(), Train); err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := LoadFashionMNIST("/nonexistent/fashion", Train); err == nil || !strings.Contains(err.Error(), "dataset-fashion-mnist") {
		t.Errorf("missing fashion folder: %v", err)
	}
	if _, err := LoadMNIST("testdata/mnist100", "validation"); err == nil {
		t.Error("unknown split: no error")
	}
}

func TestIDXRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	payload := []byte{1, 2, 3, 4, 5, 6}
	if err := EncodeIDX(&buf, []int{2, 3}, payload); err != nil {
		t.Fatal(err)
	}
	idx, err := DecodeIDX(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(idx.Dims, []int{2, 3}) || !bytes.Equal(idx.Data, payload) {
		t.Errorf("round trip gave %v %v", idx.Dims, idx.Data)
	}
}

func FuzzDecodeIDX(f *testing.F) {
	for _, p := range []string{"testdata/truncated-images-idx3-ubyte", "testdata/trailing-labels-idx1-ubyte", "testdata/mnist100/t10k-labels-idx1-ubyte.gz"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0, 2, 9, 9})
	f.Add([]byte{0, 0, 8, 4, 255, 255, 255, 255, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := DecodeIDX(bytes.NewReader(b))
		if err != nil {
			return
		}
		n := 1
		for _, d := range idx.Dims {
			n *= d
		}
		if n != len(idx.Data) {
			t.Fatalf("accepted dims %v with %d bytes", idx.Dims, len(idx.Data))
		}
	})
}

func TestSyntheticIsSeededAndLearnable(t *testing.T) {
	a, err := Synthetic(50, 16, 16, 3, 5, 9)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Synthetic(50, 16, 16, 3, 5, 9)
	c, _ := Synthetic(50, 16, 16, 3, 5, 10)
	if !slices.Equal(a.Images, b.Images) || slices.Equal(a.Images, c.Images) {
		t.Error("same seed must give the same data, another seed other data")
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	// Class means differ: the bright square sits in a class-specific place.
	mean := func(k int) []float64 {
		m := make([]float64, a.ImageSize())
		for i := 0; i < a.N; i++ {
			if int(a.Labels[i]) == k {
				for j, v := range a.Image(i) {
					m[j] += float64(v)
				}
			}
		}
		return m
	}
	if slices.Equal(mean(0), mean(1)) {
		t.Error("classes 0 and 1 look alike")
	}
	if _, err := Synthetic(0, 16, 16, 1, 2, 1); err == nil {
		t.Error("n=0: no error")
	}
}

func TestBatchesAreSeededAndSeekable(t *testing.T) {
	ds, _ := Synthetic(20, 8, 8, 1, 4, 1)
	collect := func(b *Batches, n int) [][]int32 {
		var out [][]int32
		for i := 0; i < n; i++ {
			_, l := b.Next()
			out = append(out, slices.Clone(l))
		}
		return out
	}
	b1, err := NewBatches(ds, 6, 3) // 3 steps per epoch, 2 examples dropped
	if err != nil {
		t.Fatal(err)
	}
	all := collect(b1, 7)
	b2, _ := NewBatches(ds, 6, 3)
	b2.SeekStep(4)
	if got := collect(b2, 3); !slices.EqualFunc(got, all[4:], slices.Equal) {
		t.Errorf("after SeekStep(4): %v, want %v", got, all[4:])
	}
	seen := map[int32]int{}
	for _, l := range all[:3] {
		for _, v := range l {
			seen[v]++
		}
	}
	if len(seen) != 4 {
		t.Errorf("first epoch saw labels %v", seen)
	}
	if slices.EqualFunc(all[0:3], all[3:6], slices.Equal) {
		t.Error("epochs 0 and 1 have the same order")
	}
	if _, err := NewBatches(ds, 0, 1); err == nil {
		t.Error("batch 0: no error")
	}
	if _, err := NewBatches(ds, 21, 1); err == nil {
		t.Error("batch > N: no error")
	}
}

// Fashion-MNIST from Debian's dataset-fashion-mnist (installed by `make test`).
func TestLoadFashionMNIST(t *testing.T) {
	if _, err := os.Stat(FashionDir); err != nil {
		if os.Getenv("CONVLENS_REQUIRE_FASHION") == "1" {
			t.Fatalf("Fashion-MNIST required: %v", err)
		}
		t.Skip("dataset-fashion-mnist not installed")
	}
	for split, n := range map[Split]int{Train: 60000, Test: 10000} {
		ds, err := LoadFashionMNIST("", split)
		if err != nil {
			t.Fatal(err)
		}
		if ds.N != n || ds.H != 28 || ds.W != 28 || ds.C != 1 || len(ds.Classes) != 10 {
			t.Errorf("%s: %d images %dx%dx%d, %d classes", split, ds.N, ds.H, ds.W, ds.C, len(ds.Classes))
		}
		counts := make([]int, 10)
		for _, l := range ds.Labels {
			counts[l]++
		}
		for c, k := range counts {
			if k != n/10 { // Fashion-MNIST is exactly balanced
				t.Errorf("%s: class %q has %d images, want %d", split, ds.Classes[c], k, n/10)
			}
		}
	}
}

// Decoding allocates the promised data once (a doubling buffer peaked at twice the data).
func TestDecodeIDXAllocatesTheDataOnce(t *testing.T) {
	const n = 20000
	var raw bytes.Buffer
	if err := EncodeIDX(&raw, []int{n, 28, 28}, make([]byte, n*784)); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(raw.Bytes())
	w.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	idx, err := DecodeIDX(bytes.NewReader(gz.Bytes()))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; float64(alloc) > 1.1*float64(len(idx.Data)) {
		t.Errorf("decoding %d bytes allocated %d (%.2f×)", len(idx.Data), alloc, float64(alloc)/float64(len(idx.Data)))
	}
}

// A photo's bytes decode as its file does: the same crop, resize and grey conversion; bytes
// that are not an image, or declare too many pixels, are refused.
func TestDecodeImageEqualsLoadImage(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 37, 23))
	for y := 0; y < 23; y++ {
		for x := 0; x < 37; x++ {
			img.Set(x, y, color.NRGBA{uint8(x * 7), uint8(y * 11), uint8(x * y), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "photo.png")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []int{1, 3} {
		want, err := LoadImage(path, 16, 16, c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeImage(buf.Bytes(), "photo.png", 16, 16, c)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Data, want.Data) || !slices.Equal(got.Shape, want.Shape) {
			t.Errorf("%d channels: the bytes decode unlike the file", c)
		}
	}
	if _, err := DecodeImage([]byte("not an image"), "x.png", 8, 8, 3); err == nil {
		t.Error("bytes that are not an image decoded")
	}
	old := MaxPixels
	MaxPixels = 100
	defer func() { MaxPixels = old }()
	if _, err := DecodeImage(buf.Bytes(), "photo.png", 8, 8, 3); err == nil || !strings.Contains(err.Error(), "megapixel") {
		t.Errorf("an image over the pixel budget: %v", err)
	}
}
