package onnx

import (
	"fmt"
	"math"

	"github.com/convlens/convlens/layers"
)

// convResize imports Resize (opset 10 on) and Upsample of an image's height and width:
// nearest or (bi)linear.
func convResize(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	if x, err = imp.image(x, n.OpType); err != nil {
		return err
	}
	c, h, w := x.lay.dims[1], x.lay.dims[2], x.lay.dims[3]
	mode := attrString(n, "mode", "nearest")
	l := layers.Layer{Kind: layers.Resize}
	switch mode {
	case "nearest":
		l.Mode = "nearest"
	case "linear", "bilinear":
		l.Mode = "linear"
	default:
		return fmt.Errorf("resize mode %s; convlens takes nearest and linear", quote(mode))
	}
	var scales []float64
	var sizes []int
	switch {
	case n.OpType == "Upsample" || imp.opset < 11:
		l.Coord, l.Rounding = "asymmetric", "floor"
		if l.Mode == "linear" && n.OpType == "Resize" {
			l.Rounding = ""
		}
		if a, ok := n.Attrs["scales"]; ok {
			for _, f := range a.Floats {
				scales = append(scales, float64(f))
			}
		} else {
			t, err := imp.constant(n, 1, false)
			if err != nil {
				return err
			}
			scales = tensorValues(t)
		}
	default:
		l.Coord = attrString(n, "coordinate_transformation_mode", "half_pixel")
		l.Rounding = attrString(n, "nearest_mode", "round_prefer_floor")
		if l.Mode == "linear" {
			l.Rounding = ""
		}
		if attrInt(n, "antialias", 0) != 0 {
			return fmt.Errorf("antialiased resizing")
		}
		if l.Coord == "tf_crop_and_resize" {
			return fmt.Errorf("coordinate mode tf_crop_and_resize")
		}
		if len(n.Inputs) > 3 && n.Inputs[3] != "" {
			t, err := imp.constant(n, 3, false)
			if err != nil {
				return err
			}
			for _, v := range tensorValues(t) {
				sizes = append(sizes, int(v))
			}
		}
		if sizes == nil && len(n.Inputs) > 2 && n.Inputs[2] != "" {
			t, err := imp.constant(n, 2, false)
			if err != nil {
				return err
			}
			scales = tensorValues(t)
		}
		if ax := n.Attrs["axes"].Ints; len(ax) > 0 {
			full := []float64{1, 1, 1, 1}
			fullSizes := []int{1, c, h, w}
			for i, a := range ax {
				k, err := normAxis(a, 4)
				if err != nil {
					return err
				}
				if scales != nil {
					full[k] = scales[i]
				}
				if sizes != nil {
					fullSizes[k] = sizes[i]
				}
			}
			if scales != nil {
				scales = full
			}
			if sizes != nil {
				sizes = fullSizes
			}
		}
		if p := attrString(n, "keep_aspect_ratio_policy", "stretch"); p != "stretch" && sizes != nil {
			return fmt.Errorf("keep_aspect_ratio_policy %s", quote(p))
		}
	}
	switch {
	case sizes != nil:
		if len(sizes) != 4 || (sizes[0] != 1 && sizes[0] != batchMark) || sizes[1] != c {
			return fmt.Errorf("sizes %v; convlens resizes the height and width of [N, C, H, W]", sizes)
		}
		l.Shape = []int{sizes[2], sizes[3]}
	case len(scales) == 4:
		if scales[0] != 1 || scales[1] != 1 {
			return fmt.Errorf("scales %v; convlens resizes the height and width of [N, C, H, W]", scales)
		}
		l.Shape = []int{int(math.Floor(float64(h) * scales[2])), int(math.Floor(float64(w) * scales[3]))}
		l.Scales = []float64{scales[2], scales[3]}
	default:
		return fmt.Errorf("a resize without scales or sizes for [N, C, H, W]")
	}
	if l.Shape[0] < 1 || l.Shape[1] < 1 {
		return fmt.Errorf("a resize to %v", l.Shape)
	}
	if l.Coord == "half_pixel" {
		l.Coord = ""
	}
	if l.Rounding == "round_prefer_floor" {
		l.Rounding = ""
	}
	imp.emit(l, []value{x}, imp.imageOut(c, l.Shape[0], l.Shape[1]), nil)
	return nil
}

// convPad imports Pad of an image's height and width: constant, edge or reflect; negative
// pads crop.
func convPad(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	mode := attrString(n, "mode", "constant")
	if mode != "constant" && mode != "edge" && mode != "reflect" {
		return fmt.Errorf("pad mode %s; convlens pads with a constant, the edge or a reflection", quote(mode))
	}
	r := x.lay.rank()
	pads, fill := n.Attrs["pads"].Ints, float64(n.Attrs["value"].Float)
	if imp.opset >= 11 {
		t, err := imp.constant(n, 1, false)
		if err != nil {
			return err
		}
		pads = nil
		for _, v := range tensorValues(t) {
			pads = append(pads, int64(v))
		}
		if t, err := imp.floats(n, 2, true); err != nil {
			return err
		} else if t != nil {
			if len(t.Floats) != 1 {
				return fmt.Errorf("pad value of shape %v; want a scalar", t.Dims)
			}
			fill = float64(t.Floats[0])
		}
	}
	full := make([]int64, 2*r)
	if len(n.Inputs) > 3 && n.Inputs[3] != "" {
		t, err := imp.constant(n, 3, false)
		if err != nil {
			return err
		}
		axes := tensorValues(t)
		if len(pads) != 2*len(axes) {
			return fmt.Errorf("%d pads for %d axes", len(pads), len(axes))
		}
		for i, a := range axes {
			k, err := normAxis(int64(a), r)
			if err != nil {
				return err
			}
			full[k], full[k+r] = pads[i], pads[i+len(axes)]
		}
	} else {
		if len(pads) != 2*r {
			return fmt.Errorf("pads %v for a rank-%d tensor", pads, r)
		}
		copy(full, pads)
	}
	if r != 4 || full[0] != 0 || full[1] != 0 || full[4] != 0 || full[5] != 0 {
		return fmt.Errorf("pads %v; convlens pads the height and width of [N, C, H, W] only", full)
	}
	if x, err = imp.image(x, "Pad"); err != nil {
		return err
	}
	p := []int{int(full[2]), int(full[6]), int(full[3]), int(full[7])}
	c, h, w := x.lay.dims[1], x.lay.dims[2], x.lay.dims[3]
	l := layers.Layer{Kind: layers.Pad, Pads: p, Fill: fill}
	if mode != "constant" {
		l.Mode, l.Fill = mode, 0
	}
	imp.emit(l, []value{x}, imp.imageOut(c, h+p[0]+p[1], w+p[2]+p[3]), nil)
	return nil
}
