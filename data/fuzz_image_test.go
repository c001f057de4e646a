package data

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// Any bytes in an image file load as an image or give an error, never a panic, and a file
// declaring more pixels than the budget is refused before decoding.
func FuzzLoadImage(f *testing.F) {
	img := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	img.Set(1, 1, color.NRGBA{200, 10, 10, 255})
	var buf bytes.Buffer
	png.Encode(&buf, img)
	f.Add(buf.Bytes())
	f.Add(pngHeader(16000, 16000))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "x.png")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		a, err := LoadImage(p, 8, 8, 3)
		if err == nil && (a.Validate() != nil || len(a.Data) != 8*8*3) {
			t.Errorf("an invalid image: %v", a.Shape)
		}
	})
}
