package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/live"
	"github.com/convlens/convlens/report"
	"github.com/convlens/convlens/training"
)

func runExplore(args []string) error {
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	src := modelFlags(fs)
	in := inputFlags(fs)
	dataName := fs.String("data", "", "held-out dataset (default: the one it was trained on)")
	dataDir := fs.String("data-dir", "", "folder with the IDX files")
	layer := fs.String("layer", "", "layer the overlay's CAM method explains from (default: the last conv layer)")
	method := fs.String("method", "gradcam", "method of the overlay maps: "+strings.Join(explain.MethodNames, ", "))
	camClasses := fs.Int("cam-classes", 10, "overlay maps for each image's top classes")
	maxMB := fs.Int("max-mb", 24, "bound on the embedded values, in MB: images beyond it are left out, with a note")
	layerList := fs.String("layers", "", "layers shown: comma-separated names, globs (* matches any text), stages (each resolution's output) "+
		"or all (default: all, or the stages with as many channels as fit where all would not)")
	maxCh := fs.Int("max-channels", 0, "show at most this many channels of each layer (default: all, or what fits)")
	examples := fs.Int("examples", -1, "held-out images searched for the ones that excite each channel most (a click on a channel shows its top 4); "+
		"0: none (default: up to 1000, fewer for a large model)")
	timelapse := fs.Int("timelapse", 0, "a slider over this many of the run's checkpoints, evenly spaced from the first to -checkpoint's (0: none)")
	liveFlag := fs.Bool("live", false, "compute in the page: draw or drop an image, change a kernel, a bias or a channel; "+
		"the page carries the model and the convlens engine (WebAssembly)")
	engineDir := fs.String("engine", "", "folder with "+live.WasmName+" and "+live.ExecName+" (default: beside the convlens executable, where make build writes them)")
	out := fs.String("out", "explore.html", "output HTML file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for _, err := range []error{intFlag("cam-classes", *camClasses, 1, 1000), intFlag("max-mb", *maxMB, 1, 1024), intFlag("max-channels", *maxCh, 0, 1<<16),
		intFlag("examples", *examples, -1, 1<<24), intFlag("timelapse", *timelapse, 0, 64),
		writableFile("out", *out)} {
		if err != nil {
			return err
		}
	}
	o, err := src.open()
	if err != nil {
		return err
	}
	sel, err := in.load(o, 4, 64, *dataName, *dataDir)
	if err != nil {
		return err
	}
	ds, names, count := sel.data, sel.names, sel.n
	opt := report.ExplorerOptions{Classes: ds.Classes, Names: names, CAMClasses: *camClasses, MaxBytes: *maxMB << 20,
		Explainer: explain.New(o.model), MaxChannels: *maxCh}
	if *layerList != "" {
		opt.Layers = strings.Split(*layerList, ",")
		if _, err := report.SelectLayers(o.model.Spec, opt.Layers); err != nil {
			return err
		}
	}
	if *layer != "" {
		if opt.CAMLayer, err = explain.ResolveLayer(o.model.Spec, *layer); err != nil {
			return fmt.Errorf("-layer: %w", err)
		}
	}
	if *method != "gradcam" {
		camLayer, err := explain.ResolveLayer(o.model.Spec, opt.CAMLayer)
		if err != nil {
			camLayer = ""
		}
		if opt.Method, err = explain.MethodByName(*method, camLayer); err != nil {
			return fmt.Errorf("-method: %w", err)
		}
	}
	if names == nil || *in.labels != "" { // held-out images, or files with their true classes
		for i := 0; i < count; i++ {
			opt.Labels = append(opt.Labels, int(ds.Labels[i]))
		}
	}
	if opt.ExampleImages, err = exampleImages(o.model, ds, *examples); err != nil {
		return err
	}
	if opt.ExampleImages > 0 {
		opt.Examples = ds
	}
	if *liveFlag {
		if *timelapse > 0 {
			return fmt.Errorf("-live computes one model: leave out -timelapse")
		}
		if opt.Live, err = readEngine(*engineDir); err != nil {
			return fmt.Errorf("-live: %w", err)
		}
	}
	if *timelapse > 0 {
		if opt.TimeLapse, opt.StepLabels, err = timeLapse(o, *timelapse); err != nil {
			return fmt.Errorf("-timelapse: %w", err)
		}
	}
	start := time.Now()
	page, err := report.ExplorerPage(o.model, ds.Batch(0, count), opt)
	if err != nil {
		return err
	}
	return writePage(page, *out, start)
}

// exampleImages is how many of ds the channel search reads: n, or by default up to 1000,
// as many as about 20 GFLOP of forward passes allow (a few seconds on a CPU), at least 16.
func exampleImages(m *layers.Model, ds *data.Dataset, n int) (int, error) {
	if n >= 0 {
		return min(n, ds.N), nil
	}
	sum, err := m.Spec.Summarize()
	if err != nil {
		return 0, err
	}
	n = 1000
	if f := sum.TotalFLOPs; f > 0 {
		n = int(min(1000, max(16, 20e9/float64(f))))
	}
	return min(n, ds.N), nil
}

// timeLapse loads n of the run's checkpoints up to the opened one (which is the last step),
// evenly spaced from the first, with their labels.
func timeLapse(o *opened, n int) ([]*layers.Model, []string, error) {
	if o.loaded == nil {
		return nil, nil, fmt.Errorf("needs a training run: -checkpoint DIR")
	}
	files, err := training.ListCheckpoints(filepath.Dir(o.loaded.Path))
	if err != nil {
		return nil, nil, err
	}
	if n < 2 {
		return nil, nil, fmt.Errorf("%d: want at least 2 checkpoints (the first and the one opened)", n)
	}
	at := slices.Index(files, filepath.Join(filepath.Dir(o.loaded.Path), filepath.Base(o.loaded.Path)))
	if at < 0 {
		return nil, nil, fmt.Errorf("%s is not among its folder's checkpoints", o.loaded.Path)
	}
	earlier := files[:at]
	if len(earlier) == 0 {
		return nil, nil, fmt.Errorf("%s is the run's first checkpoint: no earlier ones to show", o.loaded.Path)
	}
	k := min(n-1, len(earlier))
	var models []*layers.Model
	var labels []string
	for i := 0; i < k; i++ {
		f := earlier[i*len(earlier)/k]
		l, err := training.Load(f, o.model.Backend)
		if err != nil {
			return nil, nil, err
		}
		models, labels = append(models, l.Model), append(labels, fmt.Sprintf("step %d", l.Step))
	}
	return models, append(labels, fmt.Sprintf("step %d", o.loaded.Step)), nil
}

// readEngine reads the live engine's files from dir, by default the convlens executable's
// folder (where make build writes them).
func readEngine(dir string) (*live.EngineFiles, error) {
	if dir == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		dir = filepath.Dir(exe)
	}
	return live.ReadEngine(dir)
}
