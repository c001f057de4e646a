package main

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/convlens/convlens/internal/atomicfile"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/report"
	"github.com/convlens/convlens/vizhtml"
)

func runExplain(args []string) error {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	src := modelFlags(fs)
	in := inputFlags(fs)
	method := fs.String("method", "all", "comma-separated methods: "+strings.Join(explain.MethodNames, ", ")+
		", all (every one but scorecam and ablationcam, which run a forward pass per channel), or auto (score every method of all, "+
		"the CAM ones at three layers, on the images and show the best three)")
	layer := fs.String("layer", "", "layer for Grad-CAM / Grad-CAM++ (default: the last conv layer)")
	scores := autoBool{auto: true}
	fs.Var(&scores, "scores", "score each method's faithfulness (deletion, insertion, ROAD) beside a random and an edge map: true, false or auto (where it takes a few seconds)")
	sanity := autoBool{auto: true}
	fs.Var(&sanity, "sanity", "run the model-parameter randomisation sanity check: true, false or auto (run it where it takes a few seconds)")
	classes := autoBool{auto: true}
	fs.Var(&classes, "class-vis", "synthesise inputs that maximise the explained images' predicted and true classes (every class of a model "+
		"with at most 16): true, false or auto (where it takes a few seconds)")
	visCount := fs.Int("classes-vis", 0, "with -class-vis: visualise at least this many classes")
	patch := fs.Int("occlusion-patch", 0, "occlusion's patch side in pixels (stride half of it; default 4, coarser for costly models)")
	dataName := fs.String("data", "", "dataset (default: the one it was trained on)")
	dataDir := fs.String("data-dir", "", "folder with the IDX files")
	saveMaps := fs.String("save-maps", "", "also write the raw maps of the first method as .npy, float32 [N, H, W] at input resolution")
	out := fs.String("out", "explain.html", "output HTML file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for _, err := range []error{writableFile("out", *out), writableFile("save-maps", *saveMaps), intFlag("classes-vis", *visCount, 0, 100_000),
		intFlag("occlusion-patch", *patch, 0, 4096)} {
		if err != nil {
			return err
		}
	}
	o, err := src.open()
	if err != nil {
		return err
	}
	sel, err := in.load(o, 6, 256, *dataName, *dataDir)
	if err != nil {
		return err
	}
	model, test, count, seed := o.model, sel.data, sel.n, sel.seed
	// Checked even when no chosen method uses it: a typo should not pass silently.
	l, err := explain.ResolveLayer(model.Spec, *layer)
	if err != nil && *layer != "" {
		return fmt.Errorf("-layer: %w", err)
	}
	auto := *method == "auto"
	var methods []explain.Method
	switch {
	case auto && *layer == "":
		methods, err = explain.AutoCandidates(model.Spec)
	case auto:
		methods, err = explain.MethodsFor(model.Spec, "all", l)
	default:
		methods, err = explain.MethodsFor(model.Spec, *method, l)
	}
	if err != nil {
		return err
	}
	for i, m := range methods {
		if o, ok := m.(explain.Occlusion); ok && *patch > 0 {
			o.Patch, o.Stride = *patch, max(1, *patch/2)
			methods[i] = o
		}
	}
	ex := explain.New(model)
	if err := ex.Check(methods...); err != nil { // before the long work
		return err
	}
	start := time.Now()
	if *saveMaps != "" && !auto {
		if err := writeMaps(ex, methods[0], test, count, *saveMaps); err != nil {
			return err
		}
	}
	runScores := scores.on || auto
	if scores.auto && !auto {
		secs := scoreSeconds(model.Spec, len(methods), count)
		runScores = secs <= 5
		if !runScores {
			fmt.Fprintf(os.Stderr, "notice: faithfulness scores skipped (about %.0f s for this model); run them with -scores\n", secs)
		}
	}
	runSanity := sanity.on
	if sanity.auto {
		secs := sanitySeconds(model.Spec, methods, count)
		runSanity = secs <= 5
		if !runSanity {
			fmt.Fprintf(os.Stderr, "notice: sanity checks skipped (about %.0f s for this model); run them with -sanity\n", secs)
		}
	}
	runVis := classes.on
	if classes.auto {
		secs := classVisSeconds(model.Spec, max(*visCount, min(2*count, model.Spec.Classes)))
		runVis = secs <= 5
		if !runVis {
			fmt.Fprintf(os.Stderr, "notice: class visualisations skipped (about %.0f s a class for this model); run them with -class-vis\n", classVisSeconds(model.Spec, 1))
		}
	}
	var vis []int
	if *visCount > 0 {
		preds, err := model.Predict(test.Batch(0, count))
		if err != nil {
			return err
		}
		labels := make([]int, count)
		for i := range labels {
			labels[i] = int(test.Labels[i])
		}
		vis = report.VisClassesFor(preds, labels, model.Spec.Classes, *visCount)
	}
	progress := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "… "+format+"\n", args...) }
	var chosen explain.Method
	page, err := report.Explain(ex, test, report.ExplainOptions{Methods: methods, Images: count, Sanity: runSanity,
		ClassVisualizations: runVis, VisClasses: vis, Seed: seed, Progress: progress, Scores: runScores, Auto: auto,
		Chosen: func(m explain.Method) { chosen = m }})
	if err != nil {
		return err
	}
	if *saveMaps != "" && chosen != nil {
		if err := writeMaps(ex, chosen, test, count, *saveMaps); err != nil {
			return err
		}
	}
	return writePage(page, *out, start)
}

func writePage(page *vizhtml.Page, out string, start time.Time) error {
	var buf bytes.Buffer
	if err := page.Render(&buf); err != nil {
		return err
	}
	if dir := filepath.Dir(out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := atomicfile.Write(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	failed := 0
	for _, s := range page.Sections {
		if s.Err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "warning: section %q: %v\n", s.Title, s.Err)
		}
	}
	fmt.Fprintf(os.Stderr, "report: %s (%d sections, %d charts, %.2f MB, %.1f s)\n", out, len(page.Sections), page.Charts(),
		float64(buf.Len())/1e6, time.Since(start).Seconds())
	if failed > 0 {
		return fmt.Errorf("%d of %d sections could not be drawn (see the page)", failed, len(page.Sections))
	}
	return nil
}

// autoBool is a flag that is true, false or auto (the default, decided later).
type autoBool struct{ on, auto bool }

func (b *autoBool) String() string {
	if b.auto {
		return "auto"
	}
	return strconv.FormatBool(b.on)
}

func (b *autoBool) Set(v string) error {
	if v == "auto" {
		b.auto = true
		return nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("want true, false or auto")
	}
	b.on, b.auto = on, false
	return nil
}

func (b *autoBool) IsBoolFlag() bool { return true }

// classVisSeconds estimates activation maximisation of k classes: 150 gradient steps each,
// at ~50 GFLOP/s for a pass of three forwards.
func classVisSeconds(s *layers.Spec, k int) float64 {
	sum, err := s.Summarize()
	if err != nil {
		return math.Inf(1)
	}
	return float64(k) * 150 * 3 * float64(sum.TotalFLOPs) / 50e9
}

// sanitySeconds estimates the randomisation test's time on the CPU: every method's maps for
// each of its (at most 8) steps, at ~50 GFLOP/s for a gradient pass of three forwards.
func sanitySeconds(s *layers.Spec, methods []explain.Method, images int) float64 {
	sum, err := s.Summarize()
	if err != nil {
		return math.Inf(1)
	}
	passes := 0.0 // gradient passes per image, per step
	for _, m := range methods {
		switch m := m.(type) {
		case explain.SmoothGrad:
			passes += float64(max(m.Samples, 25))
		case explain.IntegratedGradients:
			passes += float64(max(m.Steps, 50) + 1)
		case explain.Occlusion:
			p, st := explain.OcclusionDefaults(images, s.Height, s.Width, sum.TotalFLOPs)
			if m.Patch > 0 {
				p, st = m.Patch, max(m.Stride, max(1, m.Patch/2))
			}
			passes += float64(((s.Height-p)/st+2)*((s.Width-p)/st+2)) / 3
		case explain.ScoreCAM:
			passes += float64(layerChannels(s, m.Layer)) / 3 // a forward pass per channel
		default:
			passes++
		}
	}
	steps := float64(min(len(s.ParamLayers()), 8) + 1)
	return steps * passes * float64(images) * 3 * float64(sum.TotalFLOPs) / 50e9
}

// scoreSeconds estimates the faithfulness scores on the CPU: for each of the methods and
// the two baselines, 53 forward passes per image (17 deletion and 17 insertion steps, 18
// ROAD imputations, the original) at ~50 GFLOP/s, and ROAD's 18 imputations at about
// 2,000 operations per pixel and channel each, at ~1 G a second.
func scoreSeconds(s *layers.Spec, methods, images int) float64 {
	sum, err := s.Summarize()
	if err != nil {
		return math.Inf(1)
	}
	forward := 53 * float64(sum.TotalFLOPs) / 50e9
	impute := 18 * 2000 * float64(s.Height*s.Width*s.Chans) / 1e9
	return float64((methods+2)*images) * (forward + impute)
}

// layerChannels is the channel count of a CAM layer's output (0 when it cannot be resolved).
func layerChannels(s *layers.Spec, layer string) int {
	name, err := explain.ResolveLayer(s, layer)
	if err != nil {
		return 0
	}
	t, err := s.Topology()
	if err != nil {
		return 0
	}
	if n, ok := t.Node(strings.TrimSuffix(name, layers.PreSuffix)); ok && len(n.OutShape) == 3 {
		return n.OutShape[2]
	}
	return 0
}
