package main

import (
	"flag"
	"time"

	"github.com/convlens/convlens/report"
)

func runReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	src := modelFlags(fs)
	in := inputFlags(fs)
	dataName := fs.String("data", "", "held-out dataset: mnist, fashion or synthetic (default: the one it was trained on)")
	dataDir := fs.String("data-dir", "", "folder with the IDX files")
	examples := fs.Int("examples", 1000, "held-out examples for the confusion matrix, embedding and activation statistics")
	out := fs.String("out", "report.html", "output HTML file")
	if err := parseFlags(fs, args); err != nil {
		return err
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
	rin := report.Input{Model: o.model, Data: test}
	if o.loaded != nil {
		rin.History, rin.Step = o.loaded.History, o.loaded.Step
	}
	start := time.Now()
	page, err := report.Build(rin, report.Options{Images: count, Examples: *examples})
	if err != nil {
		return err
	}
	return writePage(page, *out, start)
}
