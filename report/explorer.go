package report

import (
	"fmt"
	"slices"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/vizhtml"
)

// ExplorerOptions configures Explorer.
type ExplorerOptions struct {
	Classes  []string // class names (default: the model's)
	Captions []string // one per image (default: the prediction)
	Labels   []int    // true labels, for the default captions (optional)
	Names    []string // image names (e.g. file names) starting the default captions (default "image i")
	// CAMLayer is the layer Grad-CAM explains from (default: the last conv layer);
	// CAMClasses how many of each image's top classes get a map (default 10).
	CAMLayer   string
	CAMClasses int
	MaxBytes   int // see vizhtml.ExplorerOptions
	// Explainer reuses compiled gradient programs (default: a new one).
	Explainer *explain.Explainer
}

// Explorer computes every layer's values for the images [N,H,W,C] in one forward pass,
// reads the layers' parameters and Grad-CAM maps of the top classes, and hands them to the
// interactive explorer.
func Explorer(m *layers.Model, images nd.Array, opt ExplorerOptions) (vizhtml.Fragment, error) {
	em, ims, vopt, err := explorerData(m, images, opt)
	if err != nil {
		return vizhtml.Fragment{}, err
	}
	return vizhtml.Explorer(em, ims, vopt)
}

// ExplorerPage is Explorer as a standalone page.
func ExplorerPage(m *layers.Model, images nd.Array, opt ExplorerOptions) (*vizhtml.Page, error) {
	em, ims, vopt, err := explorerData(m, images, opt)
	if err != nil {
		return nil, err
	}
	return vizhtml.ExplorerPage(em, ims, vopt)
}

func explorerData(m *layers.Model, images nd.Array, opt ExplorerOptions) (vizhtml.ExplorerModel, []vizhtml.ExplorerImage, vizhtml.ExplorerOptions, error) {
	var em vizhtml.ExplorerModel
	vopt := vizhtml.ExplorerOptions{MaxBytes: opt.MaxBytes}
	if err := m.CheckImages(images); err != nil {
		return em, nil, vopt, err
	}
	s := m.Spec
	t, err := s.Topology()
	if err != nil {
		return em, nil, vopt, err
	}
	taps, err := m.Taps(images)
	if err != nil {
		return em, nil, vopt, err
	}
	classes := opt.Classes
	if len(classes) == 0 {
		classes = s.ClassNames
	}
	em = vizhtml.ExplorerModel{Name: s.Name, Classes: classes, Input: []int{s.Height, s.Width, s.Chans}, Logits: t.Logits}
	for _, n := range t.Nodes {
		l, err := explorerLayer(m, n)
		if err != nil {
			return em, nil, vopt, err
		}
		em.Layers = append(em.Layers, l)
	}
	n := images.Shape[0]
	ims := make([]vizhtml.ExplorerImage, n)
	preds := layers.ArgMax(taps.Logits)
	for i := range ims {
		ims[i] = vizhtml.ExplorerImage{Pixels: images.Sub(i), Values: map[string]nd.Array{vizhtml.ExplorerInput: normalized(s, images.Sub(i))}}
		for _, node := range t.Nodes {
			ims[i].Values[node.Name] = taps.Outputs[node.Name].Sub(i)
		}
		_, p := argmaxProb(taps.Logits.Sub(i).Data)
		name := fmt.Sprintf("image %d", i+1)
		if i < len(opt.Names) && opt.Names[i] != "" {
			name = opt.Names[i]
		}
		switch {
		case i < len(opt.Captions):
			ims[i].Caption = opt.Captions[i]
		case i < len(opt.Labels):
			ims[i].Caption = fmt.Sprintf("%s: true %s, predicted %s (%.0f%%)", name, className(classes, opt.Labels[i]), className(classes, preds[i]), 100*p)
		default:
			ims[i].Caption = fmt.Sprintf("%s: predicted %s (%.0f%%)", name, className(classes, preds[i]), 100*p)
		}
	}
	camLayer := opt.CAMLayer
	if camLayer == "" {
		camLayer = explain.LastConvLayer(s)
	}
	if camLayer == "" {
		vopt.Note = "No Grad-CAM: the model has no conv layer."
		return em, ims, vopt, nil
	}
	ex := opt.Explainer
	if ex == nil {
		ex = explain.New(m)
	}
	if err := ex.Check(explain.GradCAM{Layer: camLayer}); err != nil {
		return em, nil, vopt, fmt.Errorf("explorer: %w", err)
	}
	k := opt.CAMClasses
	if k <= 0 {
		k = 10
	}
	k = min(k, s.Classes)
	ranked := make([][]int, n) // each image's classes by logit, highest first
	for i := range ranked {
		z := taps.Logits.Sub(i).Data
		ranked[i] = make([]int, len(z))
		for c := range z {
			ranked[i][c] = c
		}
		slices.SortStableFunc(ranked[i], func(a, b int) int {
			switch {
			case z[a] > z[b]:
				return -1
			case z[a] < z[b]:
				return 1
			}
			return 0
		})
	}
	for r := 0; r < k; r++ {
		targets := make([]int, n)
		for i := range targets {
			targets[i] = ranked[i][r]
		}
		maps, err := explain.GradCAM{Layer: camLayer}.Attribute(ex, images, targets)
		if err != nil {
			return em, nil, vopt, fmt.Errorf("explorer: %w", err)
		}
		for i := range ims {
			ims[i].CAMs = append(ims[i].CAMs, vizhtml.ExplorerCAM{Class: targets[i], Map: maps.Image(i)})
		}
	}
	vopt.CAMLayer = camLayer
	if k < s.Classes {
		vopt.Note = fmt.Sprintf("Grad-CAM maps for each image's top %d classes.", k)
	}
	return em, ims, vopt, nil
}

// explorerLayer is one node's geometry and parameters, with defaults resolved as the model applies them.
func explorerLayer(m *layers.Model, n layers.Node) (vizhtml.ExplorerLayer, error) {
	l := n.Layer
	params, err := m.LayerVariables(l.Name)
	if err != nil {
		return vizhtml.ExplorerLayer{}, err
	}
	out := vizhtml.ExplorerLayer{Name: l.Name, Kind: string(l.Kind), Inputs: n.Inputs, Shape: n.OutShape,
		Activation: string(l.Activation), Alpha: l.Alpha, Beta: l.Beta, Exponent: l.Exponent, ClipMin: l.ClipMin, ClipMax: l.ClipMax,
		Kernel: l.Kernel, Stride: l.Stride, Dilation: l.Dilation, KernelW: l.KernelW, StrideW: l.StrideW, DilationW: l.DilationW,
		Groups: l.Groups, CountPad: l.CountPad, Fill: l.Fill, Axes: l.Axes, Perm: l.Perm, Op: l.Op, KeepDims: l.KeepDims,
		Indices: l.Indices, IndexShape: l.Shape, ParamShape: l.ParamShape, Epsilon: l.Epsilon, Params: params}
	if l.Kind != layers.Gather {
		out.IndexShape = nil
	}
	if l.Kind == layers.Dense && len(n.InShapes[0]) != 1 { // a dense layer on each position
		out.ValuesOnly = true
	}
	switch l.Kind {
	case layers.Conv2D, layers.MaxPool2D, layers.AvgPool2D:
		in := n.InShapes[0]
		out.Pads = l.WindowPads(in[0], in[1])
	case layers.Pad:
		copy(out.Pads[:], l.Pads)
	case layers.BatchNorm:
		if out.Epsilon == 0 {
			out.Epsilon = layers.BatchNormEpsilon
		}
	case layers.LayerNorm:
		if out.Epsilon == 0 {
			out.Epsilon = layers.LayerNormEpsilon
		}
	}
	return out, nil
}

// normalized is the image as the model's first layers see it: (x − mean) / std per channel,
// in float32 as the model computes it.
func normalized(s *layers.Spec, img nd.Array) nd.Array {
	if len(s.InputStd) == 0 {
		return img
	}
	out := nd.Array{Shape: img.Shape, Data: make([]float32, len(img.Data))}
	for i, v := range img.Data {
		c := i % s.Chans
		out.Data[i] = (v - float32(s.InputMean.At(c))) * float32(1/s.InputStd.At(c))
	}
	return out
}
