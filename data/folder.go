package data

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // JPEG decoder
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/convlens/convlens/internal/atomicfile"

	"github.com/convlens/convlens/nd"
)

// FolderOptions tunes LoadImageFolder.
type FolderOptions struct {
	// Height and Width resize every image (bilinear); 0 keeps the size, which must then be
	// the same for all images.
	Height, Width int
	// HoldOut is the share of each class held out as the test split when the folder has no
	// test/ or val/ part (default 0.1).
	HoldOut float64
	Seed    uint64
	// MaxImages bounds the images read (default 1,000,000).
	MaxImages int
}

// FolderInfo says what LoadImageFolder read and skipped.
type FolderInfo struct {
	Skipped []string // files that are not PNG or JPEG by name
	HeldOut bool     // the test split was drawn from the training folders
}

type imageFile struct {
	path  string
	label int32
}

var imageExt = map[string]bool{".png": true, ".jpg": true, ".jpeg": true}

// LoadImageFolder reads DIR/train/<class>/* and DIR/test/<class>/* (or val/), or, with
// class folders only (DIR/<class>/*), holds out a seeded share of each class. PNG and
// JPEG, gray or colour (all images must agree); pixels scaled to [0, 1]. Files with other
// endings are skipped and counted; an unreadable image is an error naming it.
func LoadImageFolder(dir string, opt FolderOptions) (train, test *Dataset, info *FolderInfo, err error) {
	if opt.HoldOut == 0 {
		opt.HoldOut = 0.1
	}
	if !(opt.HoldOut > 0 && opt.HoldOut < 1) {
		return nil, nil, nil, fmt.Errorf("image folder %s: hold-out share %v outside (0, 1)", dir, opt.HoldOut)
	}
	if opt.MaxImages == 0 {
		opt.MaxImages = 1_000_000
	}
	if opt.Height < 0 || opt.Width < 0 || opt.Height > 4096 || opt.Width > 4096 || (opt.Height == 0) != (opt.Width == 0) {
		return nil, nil, nil, fmt.Errorf("image folder %s: resize %dx%d (want both sides in 1..4096, or none)", dir, opt.Height, opt.Width)
	}
	info = &FolderInfo{}
	trainDir := filepath.Join(dir, "train")
	testDir := ""
	for _, name := range []string{"test", "val"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err == nil && st.IsDir() {
			testDir = filepath.Join(dir, name)
			break
		}
	}
	if st, err := os.Stat(trainDir); err != nil || !st.IsDir() {
		if testDir != "" {
			return nil, nil, nil, fmt.Errorf("image folder %s: has %s but no train/ folder", dir, filepath.Base(testDir))
		}
		trainDir = dir
	}
	classes, trainFiles, err := listClasses(trainDir, nil, info)
	if err != nil {
		return nil, nil, nil, err
	}
	var testFiles []imageFile
	if testDir != "" {
		if _, testFiles, err = listClasses(testDir, classes, info); err != nil {
			return nil, nil, nil, err
		}
	} else {
		info.HeldOut = true
		trainFiles, testFiles = holdOut(trainFiles, len(classes), opt.HoldOut, opt.Seed)
	}
	if len(trainFiles)+len(testFiles) > opt.MaxImages {
		return nil, nil, nil, fmt.Errorf("image folder %s: %d images, more than the limit of %d", dir, len(trainFiles)+len(testFiles), opt.MaxImages)
	}
	h, w, c, err := probeShape(append(slices.Clone(trainFiles), testFiles...), opt)
	if err != nil {
		return nil, nil, nil, err
	}
	name := filepath.Base(filepath.Clean(dir))
	if train, err = decodeAll(name+"-train", trainFiles, classes, h, w, c); err != nil {
		return nil, nil, nil, err
	}
	if test, err = decodeAll(name+"-test", testFiles, classes, h, w, c); err != nil {
		return nil, nil, nil, err
	}
	return train, test, info, nil
}

// listClasses lists class folders and their image files. With want set (the training
// classes), a class outside it is an error.
func listClasses(dir string, want []string, info *FolderInfo) ([]string, []imageFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("image folder: %w", err)
	}
	var classes []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			classes = append(classes, e.Name())
		} else if !e.IsDir() {
			info.Skipped = append(info.Skipped, filepath.Join(dir, e.Name()))
		}
	}
	if want == nil {
		if len(classes) < 2 {
			return nil, nil, fmt.Errorf("image folder %s: %d class folder(s) %q; want at least 2 (one folder of images per class)", dir, len(classes), classes)
		}
	} else {
		for _, c := range classes {
			if !slices.Contains(want, c) {
				return nil, nil, fmt.Errorf("image folder %s: class %q is not among the training classes %q", dir, c, want)
			}
		}
		classes = want
	}
	var files []imageFile
	for label, class := range classes {
		entries, err := os.ReadDir(filepath.Join(dir, class))
		if err != nil {
			if want != nil && errors.Is(err, os.ErrNotExist) {
				continue // a test split may lack a class
			}
			return nil, nil, fmt.Errorf("image folder: %w", err)
		}
		n := 0
		for _, e := range entries {
			p := filepath.Join(dir, class, e.Name())
			if e.IsDir() || !imageExt[strings.ToLower(filepath.Ext(e.Name()))] || !e.Type().IsRegular() && !regularFile(p) {
				info.Skipped = append(info.Skipped, p)
				continue
			}
			files = append(files, imageFile{path: p, label: int32(label)})
			n++
		}
		if n == 0 && want == nil {
			return nil, nil, fmt.Errorf("image folder %s: class %q has no PNG or JPEG images", dir, class)
		}
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("image folder %s: no PNG or JPEG images", dir)
	}
	return classes, files, nil
}

// holdOut moves a seeded share (at least one image) of each class into the test split.
func holdOut(files []imageFile, classes int, share float64, seed uint64) (train, test []imageFile) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	for c := 0; c < classes; c++ {
		var of []imageFile
		for _, f := range files {
			if int(f.label) == c {
				of = append(of, f)
			}
		}
		rng.Shuffle(len(of), func(i, j int) { of[i], of[j] = of[j], of[i] })
		k := max(1, int(share*float64(len(of))+0.5))
		if k >= len(of) {
			k = len(of) - 1
		}
		test = append(test, of[:k]...)
		train = append(train, of[k:]...)
	}
	return train, test
}

// probeShape reads image headers: the common size (or the resize target) and channel count.
func probeShape(files []imageFile, opt FolderOptions) (h, w, c int, err error) {
	first := ""
	for _, f := range files {
		cfg, err := decodeConfig(f.path)
		if err != nil {
			return 0, 0, 0, err
		}
		ch := channelsOf(cfg.ColorModel)
		if first == "" {
			first, h, w, c = f.path, cfg.Height, cfg.Width, ch
			continue
		}
		if ch != c {
			return 0, 0, 0, fmt.Errorf("image %s has %d channel(s) but %s has %d: mixed gray and colour images", f.path, ch, first, c)
		}
		if opt.Height == 0 && (cfg.Height != h || cfg.Width != w) {
			return 0, 0, 0, fmt.Errorf("image %s is %dx%d but %s is %dx%d: give a size to resize to (-resize HxW)", f.path, cfg.Height, cfg.Width, first, h, w)
		}
	}
	if opt.Height > 0 {
		h, w = opt.Height, opt.Width
	}
	if int64(h)*int64(w)*int64(c)*int64(len(files)) > 1<<31 {
		return 0, 0, 0, fmt.Errorf("%d images of %dx%dx%d do not fit in memory limits (resize smaller)", len(files), h, w, c)
	}
	return h, w, c, nil
}

func decodeConfig(path string) (image.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return image.Config{}, err
	}
	defer f.Close()
	return checkConfig(path, f)
}

// checkConfig reads an image's header from r and checks its size against MaxPixels.
func checkConfig(name string, r io.Reader) (image.Config, error) {
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return image.Config{}, fmt.Errorf("image %s: %w", name, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > 1<<14 || cfg.Height > 1<<14 {
		return image.Config{}, fmt.Errorf("image %s: size %dx%d outside 1..16384", name, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > MaxPixels {
		return image.Config{}, fmt.Errorf("image %s is %dx%d (%.0f megapixels), over the %.0f-megapixel limit that keeps decoding within memory (-max-pixels raises it)",
			name, cfg.Width, cfg.Height, float64(px)/1e6, float64(MaxPixels)/1e6)
	}
	return cfg, nil
}

// MaxPixels bounds the images decoded (width × height), checked from the file's header
// before any pixel is: a small, highly compressed file can declare an image of gigabytes.
var MaxPixels int64 = 40_000_000

// regularFile reports whether path (following links) is a regular file: a pipe or a device
// named like an image would block or never end.
func regularFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

func channelsOf(m color.Model) int {
	if m == color.GrayModel || m == color.Gray16Model {
		return 1
	}
	return 3
}

// decodeAll decodes files in parallel straight into one preallocated dataset.
func decodeAll(name string, files []imageFile, classes []string, h, w, c int) (*Dataset, error) {
	d := &Dataset{Name: name, N: len(files), H: h, W: w, C: c, Classes: classes,
		Images: make([]float32, len(files)*h*w*c), Labels: make([]int32, len(files))}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan int)
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := decodeInto(files[i].path, d.Image(i), h, w, c); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
				d.Labels[i] = files[i].label
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return d, d.Validate()
}

// decodeInto decodes one image, resized bilinearly to h×w, into dst (HWC, [0, 1]).
func decodeInto(path string, dst []float32, h, w, c int) error {
	px, sh, sw, err := decodePixels(path, c, samples(h, w))
	if err != nil {
		return err
	}
	resizeFrom(px, sh, sw, c, dst, h, w)
	return nil
}

// samples is how many source pixels a resize to h×w reads at most (four per output pixel).
func samples(h, w int) int { return 4 * h * w }

// decodePixels decodes an image file (after checking its header against the pixel budget)
// and returns a reader of its values in [0, 1] — gray (c 1) or RGB (c 3) — and its size.
// An image with more pixels than the reader will be asked for (a large photo shrunk for a
// model) is read where needed, each pixel converted when first read (all its channels at
// once), never copied at full size: its peak memory is its decoded size. A smaller one is
// converted once, whole.
func decodePixels(path string, c, reads int) (func(y, x, k int) float32, int, int, error) {
	if _, err := decodeConfig(path); err != nil { // the header first: size and pixel budget
		return nil, 0, 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("image %s: %w", path, err)
	}
	px, sh, sw := pixelReader(img, c, reads)
	return px, sh, sw, nil
}

// pixelReader is decodePixels' reader of a decoded image.
func pixelReader(img image.Image, c, reads int) (func(y, x, k int) float32, int, int) {
	b := img.Bounds()
	sh, sw := b.Dy(), b.Dx()
	convert := func(y, x int, dst []float32) {
		px := img.At(b.Min.X+x, b.Min.Y+y)
		if c == 1 {
			dst[0] = float32(color.Gray16Model.Convert(px).(color.Gray16).Y) / 65535
			return
		}
		r, g, bl, _ := color.NRGBA64Model.Convert(px).RGBA()
		dst[0], dst[1], dst[2] = float32(r)/65535, float32(g)/65535, float32(bl)/65535
	}
	if reads >= sh*sw {
		all := make([]float32, sh*sw*c)
		for y := 0; y < sh; y++ {
			for x := 0; x < sw; x++ {
				convert(y, x, all[(y*sw+x)*c:])
			}
		}
		return func(y, x, k int) float32 { return all[(y*sw+x)*c+k] }, sh, sw
	}
	lastY, lastX, last := -1, -1, make([]float32, c)
	return func(y, x, k int) float32 {
		if y != lastY || x != lastX {
			convert(y, x, last)
			lastY, lastX = y, x
		}
		return last[k]
	}, sh, sw
}

// LoadImage reads one PNG or JPEG as [1, h, w, c] (c 1 or 3), values in [0, 1]: the
// largest centred crop with the target's aspect ratio, resized bilinearly.
func LoadImage(path string, h, w, c int) (nd.Array, error) {
	if err := checkTarget(path, h, w, c); err != nil {
		return nd.Array{}, err
	}
	px, sh, sw, err := decodePixels(path, c, samples(h, w))
	if err != nil {
		return nd.Array{}, err
	}
	return fitImage(px, sh, sw, h, w, c), nil
}

// DecodeImage is LoadImage for a file's bytes (a page's dropped photo): the same checks,
// crop and resize.
func DecodeImage(b []byte, name string, h, w, c int) (nd.Array, error) {
	if err := checkTarget(name, h, w, c); err != nil {
		return nd.Array{}, err
	}
	if _, err := checkConfig(name, bytes.NewReader(b)); err != nil {
		return nd.Array{}, err
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nd.Array{}, fmt.Errorf("image %s: %w", name, err)
	}
	px, sh, sw := pixelReader(img, c, samples(h, w))
	return fitImage(px, sh, sw, h, w, c), nil
}

// checkTarget checks the size an image is fitted to.
func checkTarget(name string, h, w, c int) error {
	if h < 1 || w < 1 || h > 4096 || w > 4096 || (c != 1 && c != 3) {
		return fmt.Errorf("image %s: target %dx%dx%d (want sides 1..4096 and 1 or 3 channels)", name, h, w, c)
	}
	return nil
}

// fitImage is the largest centred crop of an sh×sw image with the target's aspect ratio,
// resized bilinearly to [1, h, w, c].
func fitImage(px func(y, x, k int) float32, sh, sw, h, w, c int) nd.Array {
	ch, cw := sh, sh*w/h // crop to the target aspect ratio
	if cw > sw {
		ch, cw = sw*h/w, sw
	}
	y0, x0 := (sh-ch)/2, (sw-cw)/2
	out := nd.New(1, h, w, c)
	resizeFrom(func(y, x, k int) float32 { return px(y0+y, x0+x, k) }, ch, cw, c, out.Data, h, w)
	return out
}

// PhotosDir is where `make photos` puts scikit-image's sample photos (Debian python3-skimage):
// $CONVLENS_PHOTOS_DIR, else ~/.cache/convlens/photos.
func PhotosDir() string {
	if d := os.Getenv("CONVLENS_PHOTOS_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "convlens", "photos")
}

// Resize resamples an HWC image bilinearly with half-pixel centres (as OpenCV's
// INTER_LINEAR and PyTorch's align_corners=False), no antialiasing.
func Resize(src []float32, sh, sw, c int, dst []float32, h, w int) {
	resizeFrom(func(y, x, k int) float32 { return src[(y*sw+x)*c+k] }, sh, sw, c, dst, h, w)
}

// resizeFrom is Resize reading the source through at(y, x, channel), every channel of a
// pixel in a row; an equal size copies.
func resizeFrom(at func(y, x, k int) float32, sh, sw, c int, dst []float32, h, w int) {
	if sh == h && sw == w {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				for k := 0; k < c; k++ {
					dst[(y*w+x)*c+k] = at(y, x, k)
				}
			}
		}
		return
	}
	corner := make([]float32, 4*c) // the four neighbours' channels: (y0,x0) (y0,x1) (y1,x0) (y1,x1)
	for y := 0; y < h; y++ {
		fy := max((float64(y)+0.5)*float64(sh)/float64(h)-0.5, 0)
		y0 := min(int(fy), sh-1)
		y1, ay := min(y0+1, sh-1), float32(fy-float64(y0))
		for x := 0; x < w; x++ {
			fx := max((float64(x)+0.5)*float64(sw)/float64(w)-0.5, 0)
			x0 := min(int(fx), sw-1)
			x1, ax := min(x0+1, sw-1), float32(fx-float64(x0))
			for i, p := range [4][2]int{{y0, x0}, {y0, x1}, {y1, x0}, {y1, x1}} {
				for k := 0; k < c; k++ {
					corner[i*c+k] = at(p[0], p[1], k)
				}
			}
			for k := 0; k < c; k++ {
				top := corner[k]*(1-ax) + corner[c+k]*ax
				bot := corner[2*c+k]*(1-ax) + corner[3*c+k]*ax
				dst[(y*w+x)*c+k] = top*(1-ay) + bot*ay
			}
		}
	}
}

// WriteImageFolder writes a dataset as DIR/<split>/<class>/<index>.png (8-bit gray or RGB,
// from values in [0, 1]); class names become folder names, so they must be safe ones.
func WriteImageFolder(ds *Dataset, dir string, split Split) error {
	if err := ds.Validate(); err != nil {
		return err
	}
	for _, c := range ds.Classes {
		if c == "" || c == "." || c == ".." || strings.ContainsAny(c, `/\`) {
			return fmt.Errorf("class name %q cannot be a folder name", c)
		}
	}
	if ds.C != 1 && ds.C != 3 {
		return fmt.Errorf("dataset %q has %d channels: PNG folders hold gray or RGB", ds.Name, ds.C)
	}
	for i := 0; i < ds.N; i++ {
		p := filepath.Join(dir, string(split), ds.Classes[ds.Labels[i]], fmt.Sprintf("%05d.png", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := writePNG(p, ds.Image(i), ds.H, ds.W, ds.C); err != nil {
			return err
		}
	}
	return nil
}

func writePNG(path string, px []float32, h, w, c int) error {
	to8 := func(v float32) uint8 { return uint8(min(max(v*255+0.5, 0), 255)) }
	var img image.Image
	if c == 1 {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i, v := range px {
			g.Pix[i] = to8(v)
		}
		img = g
	} else {
		rgba := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i := 0; i < h*w; i++ {
			rgba.Pix[4*i], rgba.Pix[4*i+1], rgba.Pix[4*i+2], rgba.Pix[4*i+3] = to8(px[3*i]), to8(px[3*i+1]), to8(px[3*i+2]), 255
		}
		img = rgba
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	return atomicfile.Write(path, buf.Bytes(), 0o644)
}
