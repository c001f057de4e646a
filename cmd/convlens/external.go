package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/onnx"
	"github.com/convlens/convlens/training"
)

// source is where a command's model comes from: a convlens checkpoint or an ONNX file.
type source struct {
	ckpt, onnx, backend, output, inputSize *string
}

func modelFlags(fs *flag.FlagSet) source {
	return source{
		ckpt:      fs.String("checkpoint", "", "checkpoint directory (or a ckpt-*.bin file) written by convlens train"),
		onnx:      fs.String("onnx", "", "an ONNX model file (instead of -checkpoint); weights in a .data file beside it are read too"),
		backend:   fs.String("backend", "auto", "auto, xla, xla:cpu, xla:cuda or go"),
		output:    fs.String("output", "", "with -onnx: the graph output to use (default: the first)"),
		inputSize: fs.String("input-size", "", "with -onnx: HxW for a model whose input height and width are dynamic (e.g. 224x224)"),
	}
}

// onnxOptions reads -output and -input-size.
func (s source) onnxOptions() (onnx.Options, error) {
	o := onnx.Options{Output: *s.output}
	if *s.onnx == "" && (*s.output != "" || *s.inputSize != "") {
		return o, fmt.Errorf("-output and -input-size apply to -onnx models")
	}
	if *s.inputSize != "" {
		h, w, ok := strings.Cut(strings.ToLower(*s.inputSize), "x")
		var err1, err2 error
		if ok {
			o.Height, err1 = strconv.Atoi(h)
			o.Width, err2 = strconv.Atoi(w)
		}
		if !ok || err1 != nil || err2 != nil || o.Height < 1 || o.Width < 1 || o.Height > 16384 || o.Width > 16384 {
			return o, fmt.Errorf("-input-size %q: want HxW, e.g. 224x224", *s.inputSize)
		}
	}
	return o, nil
}

// slowXLALayers is the model length beyond which XLA's compiler, whose time grows faster
// than the graph (a 10,000-layer chain: about a minute), is worth a notice.
const slowXLALayers = 3000

// opened is a model with what is known of its origin.
type opened struct {
	model    *layers.Model
	imported *onnx.Imported   // for -onnx
	loaded   *training.Loaded // for -checkpoint
}

func (s source) open() (*opened, error) {
	if (*s.ckpt == "") == (*s.onnx == "") {
		return nil, fmt.Errorf("give one of -checkpoint DIR or -onnx FILE")
	}
	b, err := backend.Open(*s.backend)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, b)
	if *s.onnx != "" {
		opts, err := s.onnxOptions()
		if err != nil {
			return nil, err
		}
		m, imp, err := onnx.Open(*s.onnx, b, opts)
		if err != nil {
			return nil, err
		}
		for _, n := range imp.Notices {
			fmt.Fprintf(os.Stderr, "notice: %s\n", n)
		}
		if imp.Probabilities {
			fmt.Fprintf(os.Stderr, "notice: the model outputs probabilities (a softmax); explanations target the logits before it\n")
		}
		if n := len(m.Spec.Layers); n > slowXLALayers && !b.IsGo() {
			fmt.Fprintf(os.Stderr, "notice: %d layers: XLA takes minutes to compile a graph this long (convlens' own work is linear); -backend go starts at once\n", n)
		}
		return &opened{model: m, imported: imp}, nil
	}
	loaded, err := training.Load(*s.ckpt, b)
	if err != nil {
		return nil, err
	}
	for _, sk := range loaded.Skipped {
		fmt.Fprintf(os.Stderr, "warning: skipped %s\n", sk)
	}
	return &opened{model: loaded.Model, loaded: loaded}, nil
}

// imageFlags are the flags of commands that run a model on the user's images.
type imageFlags struct {
	images, labels, classes, mean, std *string
	maxImages                          *int
	maxPixels                          *float64
	maxImageMB                         *int
}

func inputFlags(fs *flag.FlagSet) imageFlags {
	return imageFlags{
		images: fs.String("images", "", "a count of held-out images of the model's dataset (a checkpoint's), or images: a .npy (float32, "+
			"the model's layout, preprocessed), PNG/JPEG files, a folder or a glob (comma-separated; a path that exists is taken as it is)"),
		maxImages:  fs.Int("max-images", 0, "use at most this many of the images given (default: all)"),
		maxPixels:  fs.Float64("max-pixels", 40, "refuse image files of more megapixels (checked from their header, before decoding)"),
		maxImageMB: fs.Int("max-image-mb", 1024, "refuse a model whose layer outputs for one image take more MB (4 bytes a value)"),
		labels:     fs.String("labels", "", "true classes: a .npy of N integers (default: the predicted classes)"),
		classes:    fs.String("classes", "", "class names, one per line"),
		mean:       fs.String("mean", "", "per-channel mean subtracted from decoded images in [0,1] (e.g. 0.485,0.456,0.406)"),
		std:        fs.String("std", "", "per-channel standard deviation dividing decoded images (e.g. 0.229,0.224,0.225)"),
	}
}

// dataset reads the images (and labels, classes) for model m as a held-out set; images are
// channels last inside. Without labels the model's predictions stand in.
func (f imageFlags) dataset(m *layers.Model) (*data.Dataset, []string, error) {
	s := m.Spec
	if *f.images == "" {
		return nil, nil, fmt.Errorf("-images is required")
	}
	paths := imagePaths(*f.images)
	for _, fl := range []struct {
		name, v string
		def     float64
	}{{"mean", *f.mean, 0}, {"std", *f.std, 1}} { // checked whatever the images are
		if _, err := perChannelFlag(fl.name, fl.v, s.Chans, fl.def); err != nil {
			return nil, nil, err
		}
	}
	var batch nd.Array
	var names []string
	if len(paths) == 1 && strings.EqualFold(filepath.Ext(paths[0]), ".npy") {
		a, err := nd.ReadNpy(paths[0])
		if err != nil {
			return nil, nil, err
		}
		want := []int{s.Height, s.Width, s.Chans}
		if s.Layout == layers.LayoutNCHW {
			want = []int{s.Chans, s.Height, s.Width}
		}
		if len(a.Shape) != 4 || !slices.Equal(a.Shape[1:], want) {
			return nil, nil, fmt.Errorf("-images %s has shape %v; the model takes [N, %s] = [N %v]", paths[0], a.Shape, layoutName(s), want)
		}
		if s.Layout == layers.LayoutNCHW {
			if a, err = nd.NCHWToNHWC(a); err != nil {
				return nil, nil, err
			}
		}
		if err := nd.CheckFinite("-images", a.Data); err != nil {
			return nil, nil, err
		}
		if *f.mean != "" || *f.std != "" {
			fmt.Fprintf(os.Stderr, "notice: -mean and -std apply to decoded image files; %s is taken as preprocessed\n", paths[0])
		}
		batch = a
		for i := range a.Shape[0] {
			names = append(names, fmt.Sprintf("%s[%d]", filepath.Base(paths[0]), i))
		}
	} else {
		files, err := imageFiles(paths)
		if err != nil {
			return nil, nil, err
		}
		if s.Chans != 1 && s.Chans != 3 {
			return nil, nil, fmt.Errorf("the model takes %d channels; give -images as a .npy", s.Chans)
		}
		batch = nd.New(len(files), s.Height, s.Width, s.Chans)
		for i, p := range files {
			img, err := data.LoadImage(p, s.Height, s.Width, s.Chans)
			if err != nil {
				return nil, nil, err
			}
			copy(batch.Data[i*len(img.Data):], img.Data)
			names = append(names, filepath.Base(p))
		}
		if err := f.normalise(s, batch); err != nil {
			return nil, nil, err
		}
	}
	ds := &data.Dataset{Name: "images", Images: batch.Data, N: batch.Shape[0], H: s.Height, W: s.Width, C: s.Chans}
	classes, err := f.classNames(s)
	if err != nil {
		return nil, nil, err
	}
	ds.Classes = classes
	if *f.labels != "" {
		l, err := nd.ReadNpy(*f.labels)
		if err != nil {
			return nil, nil, err
		}
		if len(l.Data) != ds.N {
			return nil, nil, fmt.Errorf("-labels %s holds %d values for %d images", *f.labels, len(l.Data), ds.N)
		}
		for i, v := range l.Data {
			// Compared as floats first: a huge value must not wrap when made an int.
			if v != float32(math.Trunc(float64(v))) || !(v >= 0 && float64(v) < float64(s.Classes)) {
				return nil, nil, fmt.Errorf("-labels %s: value %v at %d is not a class in [0, %d)", *f.labels, v, i, s.Classes)
			}
			ds.Labels = append(ds.Labels, int32(v))
		}
	} else {
		preds, err := m.Predict(batch)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range preds {
			ds.Labels = append(ds.Labels, int32(p))
		}
		ds.Name = "images (labels: the model's predictions)"
	}
	return ds, names, nil
}

func layoutName(s *layers.Spec) string {
	if s.Layout == layers.LayoutNCHW {
		return "C, H, W"
	}
	return "H, W, C"
}

// imageFiles expands folders and globs into image files, in order.
func imageFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		matches, err := filepath.Glob(p)
		if err != nil || len(matches) == 0 {
			return nil, fmt.Errorf("-images %s: no such file", p)
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				return nil, err
			}
			if !st.IsDir() {
				if !st.Mode().IsRegular() {
					return nil, fmt.Errorf("-images %s: not a regular file (%v)", m, st.Mode().Type())
				}
				out = append(out, m)
				continue
			}
			entries, err := os.ReadDir(m)
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				p := filepath.Join(m, e.Name())
				switch strings.ToLower(filepath.Ext(e.Name())) {
				case ".png", ".jpg", ".jpeg":
					if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() { // not a pipe or device
						out = append(out, p)
					}
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-images %s: no PNG or JPEG files", strings.Join(paths, ","))
	}
	if len(out) > 4096 {
		return nil, fmt.Errorf("-images: %d files; give at most 4096", len(out))
	}
	return out, nil
}

// normalise applies -mean and -std to decoded images (channels last).
func (f imageFlags) normalise(s *layers.Spec, batch nd.Array) error {
	mean, err := perChannelFlag("mean", *f.mean, s.Chans, 0)
	if err != nil {
		return err
	}
	std, err := perChannelFlag("std", *f.std, s.Chans, 1)
	if err != nil {
		return err
	}
	for i := range batch.Data {
		c := i % s.Chans
		batch.Data[i] = (batch.Data[i] - float32(mean[c])) / float32(std[c])
	}
	return nil
}

func perChannelFlag(name, v string, chans int, def float64) ([]float64, error) {
	out := slices.Repeat([]float64{def}, chans)
	if v == "" {
		return out, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) != 1 && len(parts) != chans {
		if chans == 1 {
			return nil, fmt.Errorf("-%s %q: the model takes 1 channel; give 1 value", name, v)
		}
		return nil, fmt.Errorf("-%s %q: give 1 value or %d (one per channel)", name, v, chans)
	}
	for i := range out {
		x, err := strconv.ParseFloat(strings.TrimSpace(parts[min(i, len(parts)-1)]), 64)
		// Within float32's range, where the images are computed (1e300 would become +Inf).
		if err != nil || math.IsNaN(x) || math.Abs(x) > 1e30 || (name == "std" && !(x >= 1e-30)) {
			return nil, fmt.Errorf("-%s %q: want numbers of magnitude at most 1e30 (std at least 1e-30)", name, v)
		}
		out[i] = x
	}
	return out, nil
}

// classNames reads -classes (one per line) or keeps the model's own names.
func (f imageFlags) classNames(s *layers.Spec) ([]string, error) {
	if *f.classes == "" {
		if len(s.ClassNames) == s.Classes {
			return s.ClassNames, nil
		}
		names := make([]string, s.Classes)
		for i := range names {
			names[i] = strconv.Itoa(i)
		}
		return names, nil
	}
	b, err := os.ReadFile(*f.classes)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		names = append(names, strings.TrimSpace(strings.TrimSuffix(l, "\r")))
	}
	if len(names) != s.Classes {
		return nil, fmt.Errorf("-classes %s names %d classes; the model has %d", *f.classes, len(names), s.Classes)
	}
	return names, nil
}

// imagePaths splits -images into paths: a path that exists is taken whole (names with
// commas or brackets), else the comma-separated parts.
func imagePaths(v string) []string {
	if _, err := os.Stat(v); err == nil {
		return []string{v}
	}
	var paths []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			paths = append(paths, p)
		}
	}
	return paths
}

// selection is what a command looks at: a dataset, how many of its images, their names
// (for files) and the training seed (1 for an ONNX model).
type selection struct {
	data  *data.Dataset
	n     int
	names []string
	seed  int64
}

// images reads -images once: a count (def when empty; at most hi) of the model's held-out
// images, or the user's images, every one of them in order (at most hi, or -max-images).
func (f imageFlags) load(o *opened, def, hi int, dataName, dataDir string) (*selection, error) {
	sel := &selection{seed: 1}
	if o.loaded != nil {
		sel.seed = o.loaded.Meta.Config.Seed
	}
	if *f.maxImages < 0 {
		return nil, fmt.Errorf("-max-images %d: want 0 (all) or more", *f.maxImages)
	}
	if !(*f.maxPixels > 0 && *f.maxPixels <= 268) {
		return nil, fmt.Errorf("-max-pixels %v: want megapixels in (0, 268]", *f.maxPixels)
	}
	data.MaxPixels = int64(*f.maxPixels * 1e6)
	if err := intFlag("max-image-mb", *f.maxImageMB, 1, 1<<20); err != nil {
		return nil, err
	}
	layers.MaxImageBytes = int64(*f.maxImageMB) << 20
	if n, err := strconv.Atoi(*f.images); err == nil || *f.images == "" {
		if *f.images == "" {
			n = def
		}
		if err := intFlag("images", n, 1, hi); err != nil {
			return nil, err
		}
		if o.loaded == nil {
			return nil, fmt.Errorf("-images %d asks for held-out images of the model's dataset; an ONNX model has none: give image files (a .npy, PNG/JPEG files, a folder or a glob)", n)
		}
		test, err := heldOut(o.loaded, dataName, dataDir)
		if err != nil {
			return nil, err
		}
		if *f.classes != "" {
			if test.Classes, err = f.classNames(o.model.Spec); err != nil {
				return nil, err
			}
		}
		sel.data, sel.n = test, min(n, test.N)
		return sel, nil
	}
	ds, names, err := f.dataset(o.model)
	if err != nil {
		return nil, err
	}
	sel.data, sel.names, sel.n = ds, names, ds.N
	if m := *f.maxImages; m > 0 && m < ds.N {
		fmt.Fprintf(os.Stderr, "notice: using the first %d of the %d images given (-max-images %d)\n", m, ds.N, m)
		sel.n = m
	}
	if sel.n > hi {
		return nil, fmt.Errorf("-images gives %d images; this command takes at most %d at once (use -max-images)", sel.n, hi)
	}
	return sel, nil
}

// writeMaps writes method's maps of the first n images (targets: their labels) as float32
// [N, H, W] .npy, not normalised.
func writeMaps(ex *explain.Explainer, method explain.Method, ds *data.Dataset, n int, path string) error {
	images := ds.Batch(0, n)
	targets := make([]int, n)
	for i := range targets {
		targets[i] = int(ds.Labels[i])
	}
	maps, err := method.Attribute(ex, images, targets)
	if err != nil {
		return err
	}
	if err := nd.WriteNpy(path, maps.Pixels); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "maps: %s (%s, %v)\n", path, method.Name(), maps.Pixels.Shape)
	return nil
}
