package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/report"
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
	out := fs.String("out", "explore.html", "output HTML file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for _, err := range []error{intFlag("cam-classes", *camClasses, 1, 1000), intFlag("max-mb", *maxMB, 1, 1024), intFlag("max-channels", *maxCh, 0, 1<<16),
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
	start := time.Now()
	page, err := report.ExplorerPage(o.model, ds.Batch(0, count), opt)
	if err != nil {
		return err
	}
	return writePage(page, *out, start)
}
