package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/report"
	"github.com/convlens/convlens/vizhtml"
)

func runReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	src := modelFlags(fs)
	in := inputFlags(fs)
	dataName := fs.String("data", "", "held-out dataset: mnist, fashion or synthetic (default: the one it was trained on)")
	dataDir := fs.String("data-dir", "", "folder with the IDX files")
	examples := fs.Int("examples", 1000, "held-out examples for the confusion matrix, embedding and activation statistics")
	method := fs.String("method", "gradcam", "method of the maps beside saliency and on the summary: "+strings.Join(explain.MethodNames, ", "))
	layer := fs.String("layer", "", "layer for a CAM -method (default: the last conv layer)")
	projection := fs.String("projection", "", "also place the examples by the penultimate layer: pca, tsne or umap (hover a point for its image)")
	out := fs.String("out", "report.html", "output HTML file")
	var links linkFlag
	fs.Var(&links, "link", "a related page for the summary to link to, as TEXT=URL (repeatable; e.g. \"explanations=explain.html\")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *projection != "" && !slices.Contains(report.Projections, *projection) {
		return fmt.Errorf("-projection %q: want one of %s", *projection, strings.Join(report.Projections, ", "))
	}
	for _, err := range []error{intFlag("examples", *examples, 1, 100_000), writableFile("out", *out)} {
		if err != nil {
			return err
		}
	}
	o, err := src.open()
	if err != nil {
		return err
	}
	sel, err := in.load(o, 3, 32, *dataName, *dataDir)
	if err != nil {
		return err
	}
	test, count := sel.data, sel.n
	var m explain.Method
	if *method != "gradcam" || *layer != "" {
		l, err := explain.ResolveLayer(o.model.Spec, *layer)
		if err != nil && *layer != "" {
			return fmt.Errorf("-layer: %w", err)
		}
		if m, err = explain.MethodByName(*method, l); err != nil {
			return fmt.Errorf("-method: %w", err)
		}
		if err := explain.New(o.model).Check(m); err != nil {
			return err
		}
	}
	rin := report.Input{Model: o.model, Data: test}
	if o.loaded != nil {
		rin.History, rin.Step = o.loaded.History, o.loaded.Step
	}
	start := time.Now()
	page, err := report.Build(rin, report.Options{Images: count, Examples: *examples, Links: links, Method: m, Projection: *projection})
	if err != nil {
		return err
	}
	return writePage(page, *out, start)
}

// linkFlag collects -link TEXT=URL values.
type linkFlag []vizhtml.Link

func (l *linkFlag) String() string { return fmt.Sprint(len(*l), " links") }

func (l *linkFlag) Set(v string) error {
	text, href, ok := strings.Cut(v, "=")
	text, href = strings.TrimSpace(text), strings.TrimSpace(href)
	if !ok || text == "" || href == "" {
		return fmt.Errorf("want TEXT=URL, got %q", v)
	}
	if len(*l) >= 16 {
		return fmt.Errorf("at most 16 links")
	}
	*l = append(*l, vizhtml.Link{Text: text, Href: href})
	return nil
}
