package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/report"
	"github.com/convlens/convlens/vizhtml"
)

// runInspect prints a model's layers (node, op, inputs, output shape, parameters, FLOPs).
func runInspect(args []string) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	src := modelFlags(fs)
	out := fs.String("out", "", "also write the architecture page (HTML) here")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := writableFile("out", *out); err != nil {
		return err
	}
	o, err := src.open()
	if err != nil {
		return err
	}
	s := o.model.Spec
	sum, err := s.Summarize()
	if err != nil {
		return err
	}
	origin := "convlens checkpoint"
	shapeOf := func(l layers.LayerSummary) []int { return l.OutShape }
	if imp := o.imported; imp != nil {
		origin = fmt.Sprintf("ONNX opset %d from %q", imp.Opset, imp.Producer)
		shapeOf = func(l layers.LayerSummary) []int { // the file's own layout, without the batch
			sh := imp.Layouts[l.Name].Batched(1)
			if len(sh) > 1 && sh[0] == 1 {
				sh = sh[1:]
			}
			return sh
		}
	}
	fmt.Printf("model %s (%s): input %s, %d classes\n", s.Name, origin, inputShape(s), s.Classes)
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "node\top\tinputs\toutput shape\tparams\tFLOPs")
	for _, l := range sum.Layers {
		op := string(l.Kind)
		if l.Activation != "" {
			op += "+" + l.Activation
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%d\t%d\n", l.Name, op, strings.Join(l.Inputs, ", "), shapeOf(l), l.Params+l.NonTrainable, l.FLOPs)
	}
	tw.Flush()
	fmt.Printf("total: %d layers, %d parameters, %d FLOPs per image\n", len(sum.Layers), sum.TotalParams, sum.TotalFLOPs)
	if *out == "" {
		return nil
	}
	page := &vizhtml.Page{Title: "convlens architecture: " + s.Name, Subtitle: origin}
	page.Add(report.Architecture(sum))
	page.Add(report.Filters(o.model))
	return writePage(page, *out, time.Now())
}

// inputShape names the model's input, in its own layout.
func inputShape(s *layers.Spec) string {
	if s.Layout == layers.LayoutNCHW {
		return fmt.Sprintf("[N, %d, %d, %d] (N, C, H, W)", s.Chans, s.Height, s.Width)
	}
	return fmt.Sprintf("[N, %d, %d, %d] (N, H, W, C)", s.Height, s.Width, s.Chans)
}
