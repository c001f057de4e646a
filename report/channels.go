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
	found, err := FindChannelExamplesOf(m, ds, []string{layer}, opt)
	if err != nil {
		return nil, err
	}
	return found[0], nil
}

// FindChannelExamplesOf is FindChannelExamples for several layers in the same one pass.
func FindChannelExamplesOf(m *layers.Model, ds *data.Dataset, names []string, opt ChannelExampleOptions) ([]*ChannelExamples, error) {
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
	if len(names) == 0 {
		return nil, fmt.Errorf("channel examples: no layer")
	}
	classes := m.Spec.Classes
	counts := make([]float64, classes)
	acc := make([]*channelSearch, len(names))
	for i, layer := range names {
		shape, err := m.Spec.TapShape(layer)
		if err != nil {
			return nil, err
		}
		if len(shape) != 3 {
			return nil, fmt.Errorf("layer %q outputs shape %v: dataset examples need channels of an image (H×W×C)", layer, shape)
		}
		acc[i] = newChannelSearch(layer, shape, classes, n)
	}
	taps := names
	if !slices.ContainsFunc(names, func(l string) bool { return !slices.Contains(opt.SameTaps, l) }) {
		taps = opt.SameTaps
	}
	batch := min(250, m.Spec.ForwardBatch())
	for start := 0; start < n; start += batch {
		b := min(batch, n-start)
		out, err := m.Taps(ds.Batch(start, b), taps...)
		if err != nil {
			return nil, err
		}
		for i := 0; i < b; i++ {
			label := int(ds.Labels[start+i])
			if label >= 0 && label < classes {
				counts[label]++
			}
		}
		for _, a := range acc {
			a.add(out.Outputs[a.res.Layer], start, b, ds.Labels, opt.Top)
		}
	}
	res := make([]*ChannelExamples, len(acc))
	for i, a := range acc {
		if err := a.finish(m.Spec, counts); err != nil {
			return nil, err
		}
		res[i] = a.res
	}
	return res, nil
}

// channelSearch keeps one layer's top images per channel and its per-class sums.
type channelSearch struct {
	res     *ChannelExamples
	h, w, k int
	sums    [][]float64 // [channel][class]
}

func newChannelSearch(layer string, shape []int, classes, n int) *channelSearch {
	k := shape[2]
	a := &channelSearch{res: &ChannelExamples{Layer: layer, Top: make([][]ChannelTop, k), ClassMeans: make([][]float64, k), Images: n},
		h: shape[0], w: shape[1], k: k, sums: make([][]float64, k)}
	for c := range a.sums {
		a.sums[c] = make([]float64, classes)
	}
	return a
}

// add takes the layer's outputs for images start..start+b.
func (a *channelSearch) add(out nd.Array, start, b int, labels []int32, top int) {
	h, w, k := a.h, a.w, a.k
	for i := 0; i < b; i++ {
		img := start + i
		label := int(labels[img])
		v := out.Data[i*h*w*k : (i+1)*h*w*k]
		for c := 0; c < k; c++ {
			best, at := v[c], 0
			for p := 1; p < h*w; p++ {
				if x := v[p*k+c]; x > best {
					best, at = x, p
				}
			}
			if label >= 0 && label < len(a.sums[c]) {
				a.sums[c][label] += float64(best)
			}
			t := a.res.Top[c]
			if len(t) < top || best > t[len(t)-1].Value {
				t = append(t, ChannelTop{Image: img, Value: best, Y: at / w, X: at % w})
				sort.SliceStable(t, func(x, y int) bool { return t[x].Value > t[y].Value })
				a.res.Top[c] = t[:min(len(t), top)]
			}
		}
	}
}

// finish turns the sums into per-class means and finds each top image's receptive field.
func (a *channelSearch) finish(s *layers.Spec, counts []float64) error {
	fields := map[[2]int]layers.Box{}
	for c := 0; c < a.k; c++ {
		a.res.ClassMeans[c] = make([]float64, len(counts))
		for cl := range counts {
			if counts[cl] > 0 {
				a.res.ClassMeans[c][cl] = a.sums[c][cl] / counts[cl]
			}
		}
		for r := range a.res.Top[c] {
			top := &a.res.Top[c][r]
			at := [2]int{top.Y, top.X}
			field, ok := fields[at]
			if !ok { // one walk of the graph per position, not per channel
				var err error
				if field, err = s.ReceptiveField(a.res.Layer, layers.Box{Y0: top.Y, X0: top.X, Y1: top.Y + 1, X1: top.X + 1}); err != nil {
					return err
				}
				fields[at] = field
			}
			top.Field = field
		}
	}
	return nil
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
	rows := channelRows(found, ds, opt.Channels)
	var dead []string
	for c := range rows {
		row := &rows[c]
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

// channelRows turns the first channels' top images into their receptive-field crops.
func channelRows(found *ChannelExamples, ds *data.Dataset, channels int) []vizhtml.ChannelRow {
	var rows []vizhtml.ChannelRow
	for c := 0; c < min(len(found.Top), channels); c++ {
		row := vizhtml.ChannelRow{Channel: c, ClassMeans: found.ClassMeans[c]}
		for _, top := range found.Top[c] {
			crop := cropImage(ds.ImageArray(top.Image), top.Field)
			row.Examples = append(row.Examples, vizhtml.Tile{Image: crop,
				Label: fmt.Sprintf("#%d %s: %.2f", top.Image, className(ds.Classes, int(ds.Labels[top.Image])), top.Value)})
		}
		rows = append(rows, row)
	}
	return rows
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
