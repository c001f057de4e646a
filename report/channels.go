package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/vizhtml"
)

// ChannelExampleOptions configures the dataset examples of a layer's channels.
type ChannelExampleOptions struct {
	Top       int  // images per channel (default 6)
	Channels  int  // channels shown, the first ones (default 32)
	Examples  int  // held-out images searched (default all)
	Visualize bool // add each channel's activation maximisation (gradient ascent, costly on large models)
	Seed      int64
	// SameTaps, when it names the layer, is the tap set to run (one the caller's own pass
	// has compiled), instead of compiling a program for the layer alone.
	SameTaps []string
}

// ChannelTop is one of a channel's top images: where its largest value is, how large, and
// the input pixels that position sees.
type ChannelTop struct {
	Image int
	Value float32
	Y, X  int
	Field layers.Box
}

// ChannelExamples is, per channel, its top images and its mean largest value per class.
type ChannelExamples struct {
	Layer      string
	Top        [][]ChannelTop // [channel][rank]
	ClassMeans [][]float64    // [channel][class]: mean over the class's images of the channel's largest value
	Images     int
}

// FindChannelExamples makes one pass over the first opt.Examples images of ds, batch by
// batch (memory independent of their number), keeping for every channel of layer the
// images where its largest value is largest, and each channel's mean largest value per
// class; each top image's receptive field around the largest value is computed from the
// graph.
func FindChannelExamples(m *layers.Model, ds *data.Dataset, layer string, opt ChannelExampleOptions) (*ChannelExamples, error) {
	if opt.Top <= 0 {
		opt.Top = 6
	}
	n := ds.N
	if opt.Examples > 0 {
		n = min(n, opt.Examples)
	}
	if n == 0 {
		return nil, fmt.Errorf("channel examples: %s has no images", ds.Name)
	}
	shape, err := m.Spec.TapShape(layer)
	if err != nil {
		return nil, err
	}
	if len(shape) != 3 {
		return nil, fmt.Errorf("layer %q outputs shape %v: dataset examples need channels of an image (H×W×C)", layer, shape)
	}
	h, w, k := shape[0], shape[1], shape[2]
	classes := m.Spec.Classes
	res := &ChannelExamples{Layer: layer, Top: make([][]ChannelTop, k), ClassMeans: make([][]float64, k), Images: n}
	sums, counts := make([][]float64, k), make([]float64, classes)
	for c := range sums {
		sums[c] = make([]float64, classes)
	}
	batch := min(250, m.Spec.ForwardBatch())
	for start := 0; start < n; start += batch {
		b := min(batch, n-start)
		names := []string{layer}
		if slices.Contains(opt.SameTaps, layer) {
			names = opt.SameTaps
		}
		taps, err := m.Taps(ds.Batch(start, b), names...)
		if err != nil {
			return nil, err
		}
		out := taps.Outputs[layer]
		for i := 0; i < b; i++ {
			img := start + i
			label := int(ds.Labels[img])
			if label >= 0 && label < classes {
				counts[label]++
			}
			a := out.Data[i*h*w*k : (i+1)*h*w*k]
			for c := 0; c < k; c++ {
				best, at := a[c], 0
				for p := 1; p < h*w; p++ {
					if v := a[p*k+c]; v > best {
						best, at = v, p
					}
				}
				if label >= 0 && label < classes {
					sums[c][label] += float64(best)
				}
				top := res.Top[c]
				if len(top) < opt.Top || best > top[len(top)-1].Value {
					top = append(top, ChannelTop{Image: img, Value: best, Y: at / w, X: at % w})
					sort.SliceStable(top, func(x, y int) bool { return top[x].Value > top[y].Value })
					res.Top[c] = top[:min(len(top), opt.Top)]
				}
			}
		}
	}
	fields := map[[2]int]layers.Box{}
	for c := 0; c < k; c++ {
		res.ClassMeans[c] = make([]float64, classes)
		for cl := range counts {
			if counts[cl] > 0 {
				res.ClassMeans[c][cl] = sums[c][cl] / counts[cl]
			}
		}
		for r := range res.Top[c] {
			top := &res.Top[c][r]
			at := [2]int{top.Y, top.X}
			field, ok := fields[at]
			if !ok { // one walk of the graph per position, not per channel
				if field, err = m.Spec.ReceptiveField(layer, layers.Box{Y0: top.Y, X0: top.X, Y1: top.Y + 1, X1: top.X + 1}); err != nil {
					return nil, err
				}
				fields[at] = field
			}
			top.Field = field
		}
	}
	return res, nil
}

// ChannelExamplesSection shows what excites each channel of layer in the held-out set: its
// top images cropped to the receptive field of their largest value, optionally beside the
// channel's activation maximisation, and its mean largest value per class.
func ChannelExamplesSection(ex *explain.Explainer, ds *data.Dataset, layer string, opt ChannelExampleOptions) vizhtml.Section {
	title := "What excites each channel of " + layer
	found, err := FindChannelExamples(ex.Model, ds, layer, opt)
	if err != nil {
		return vizhtml.Section{Title: title, Err: err}
	}
	if opt.Channels <= 0 {
		opt.Channels = 32
	}
	var rows []vizhtml.ChannelRow
	var dead []string
	for c := 0; c < min(len(found.Top), opt.Channels); c++ {
		row := vizhtml.ChannelRow{Channel: c, ClassMeans: found.ClassMeans[c]}
		for _, top := range found.Top[c] {
			img := ds.ImageArray(top.Image)
			crop := cropImage(img, top.Field)
			row.Examples = append(row.Examples, vizhtml.Tile{Image: crop,
				Label: fmt.Sprintf("#%d %s: %.2f", top.Image, className(ds.Classes, int(ds.Labels[top.Image])), top.Value)})
		}
		if opt.Visualize {
			am := explain.ActivationMaximization{Layer: layer, Channel: c, Steps: 100, Seed: uint64(opt.Seed) + uint64(c)}
			vis, err := am.Generate(ex)
			if _, perr := ex.Model.Spec.TapShape(layer + layers.PreSuffix); err != nil && perr == nil {
				am.Layer = layer + layers.PreSuffix // silent after its ReLU on noise: excite it before
				vis, err = am.Generate(ex)
			}
			if err == nil {
				v := vis.Image
				row.Visualization = &v
			} else {
				dead = append(dead, fmt.Sprint(c)) // no gradient at the start: a dead channel
			}
		}
		rows = append(rows, row)
	}
	f, err := vizhtml.ChannelExamples(rows, classNames(ds.Classes, ex.Model.Spec.Classes))
	note := fmt.Sprintf("One pass over %d held-out images. Each crop is the part of the image the channel's largest value sees (its receptive field, from the graph), largest first.", found.Images)
	if len(dead) > 0 {
		note += fmt.Sprintf(" Channels %s: no synthesised input (no gradient at the start, a channel that never fires on noise).", strings.Join(dead, ", "))
	}
	if len(found.Top) > opt.Channels {
		note += fmt.Sprintf(" The first %d of %d channels.", opt.Channels, len(found.Top))
	}
	return vizhtml.Section{Title: title, Body: f, Err: err, Note: note}
}

// cropSide bounds a crop's side in pixels: a deep layer's receptive field is the whole
// image, drawn 64 pixels wide anyway.
const cropSide = 64

// cropImage cuts box out of img [H, W, C], shrunk to at most cropSide on a side.
func cropImage(img nd.Array, b layers.Box) nd.Array {
	W, C := img.Shape[1], img.Shape[2]
	h, w := b.Y1-b.Y0, b.X1-b.X0
	out := nd.New(h, w, C)
	for y := b.Y0; y < b.Y1; y++ {
		copy(out.Data[(y-b.Y0)*w*C:], img.Data[(y*W+b.X0)*C:(y*W+b.X1)*C])
	}
	if h <= cropSide && w <= cropSide {
		return out
	}
	scale := float64(cropSide) / float64(max(h, w))
	nh, nw := max(1, int(float64(h)*scale)), max(1, int(float64(w)*scale))
	small := nd.New(nh, nw, C)
	data.Resize(out.Data, h, w, C, small.Data, nh, nw)
	return small
}
