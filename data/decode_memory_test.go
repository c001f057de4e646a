package data

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// A large photo costs about its decoded size, not a float copy of it: loading a 3000×3000
// RGB PNG for a 28×28 model allocates under twice the decoded image (the float copy and the
// crop of earlier versions were six times it), with the values of a full-size resize.
func TestLoadImageMemoryNearOneDecodedImage(t *testing.T) {
	const side = 3000
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	path := filepath.Join(t.TempDir(), "big.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := LoadImage(path, 28, 28, 3)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	decoded := uint64(side * side * 4)
	if used := after.TotalAlloc - before.TotalAlloc; used > 2*decoded {
		t.Errorf("loading allocated %d MB, the decoded image is %d MB", used>>20, decoded>>20)
	}
	// The same values as resizing a full float copy.
	full := make([]float32, side*side*3)
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			p := img.NRGBAAt(x, y)
			o := (y*side + x) * 3
			full[o], full[o+1], full[o+2] = float32(p.R)/255, float32(p.G)/255, float32(p.B)/255
		}
	}
	want := make([]float32, 28*28*3)
	Resize(full, side, side, 3, want, 28, 28)
	for i := range want {
		if d := got.Data[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("value %d: %v, a full-size resize gives %v", i, got.Data[i], want[i])
		}
	}
}
