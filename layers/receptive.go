package layers

import "fmt"

// Box is a rectangle of positions: rows Y0 … Y1−1, columns X0 … X1−1.
type Box struct{ Y0, X0, Y1, X1 int }

// Empty reports whether the box holds no position.
func (b Box) Empty() bool { return b.Y1 <= b.Y0 || b.X1 <= b.X0 }

func (b Box) union(o Box) Box {
	if b.Empty() {
		return o
	}
	if o.Empty() {
		return b
	}
	return Box{min(b.Y0, o.Y0), min(b.X0, o.X0), max(b.Y1, o.Y1), max(b.X1, o.X1)}
}

// ReceptiveField returns the input pixels that positions box of a layer's output can see:
// through every kernel, stride, padding and dilation of convolutions and pools, padding
// layers and resizes, over every path of the graph (their union), clipped to the image. A
// layer that mixes positions (flatten, global pooling, reshape) sees the whole image.
func (s *Spec) ReceptiveField(layer string, box Box) (Box, error) {
	t, err := s.Topology()
	if err != nil {
		return Box{}, err
	}
	node, ok := t.Node(layer)
	if !ok {
		return Box{}, fmt.Errorf("unknown layer %q", layer)
	}
	if len(node.OutShape) != 3 {
		return Box{}, fmt.Errorf("layer %q outputs shape %v: a receptive field needs an image (H×W×C)", layer, node.OutShape)
	}
	if box.Y0 < 0 || box.X0 < 0 || box.Y1 > node.OutShape[0] || box.X1 > node.OutShape[1] || box.Empty() {
		return Box{}, fmt.Errorf("box %+v outside layer %q's %d×%d output", box, layer, node.OutShape[0], node.OutShape[1])
	}
	shapes := map[string][]int{InputName: {s.Height, s.Width, s.Chans}}
	index := map[string]int{}
	for i, n := range t.Nodes {
		shapes[n.Name] = n.OutShape
		index[n.Name] = i
	}
	seen := map[string]Box{layer: box}
	whole := func(name string) Box { sh := shapes[name]; return Box{0, 0, sh[0], sh[1]} }
	for i := index[layer]; i >= 0; i-- {
		n := t.Nodes[i]
		b, ok := seen[n.Name]
		if !ok {
			continue
		}
		for _, in := range n.Inputs {
			sh := shapes[in]
			var src Box
			switch {
			case len(sh) != 3:
				continue // a vector input carries no positions
			case KindGeometry(n.Kind) == Window:
				ys, ye := windowSource(n.Layer, 0, sh[0], sh[1], n.OutShape[0], b.Y0, b.Y1)
				xs, xe := windowSource(n.Layer, 1, sh[0], sh[1], n.OutShape[1], b.X0, b.X1)
				src = Box{ys, xs, ye, xe}
			case n.KeepsPositions():
				src = b
			default:
				src = whole(in)
			}
			src = Box{max(src.Y0, 0), max(src.X0, 0), min(src.Y1, sh[0]), min(src.X1, sh[1])}
			if !src.Empty() {
				seen[in] = seen[in].union(src)
			}
		}
	}
	return seen[InputName], nil
}

// windowSource maps output positions [a0, a1) of one axis (0: height, 1: width) of a
// window layer to the input positions [lo, hi) they read; inH and inW are the input's
// sides, out the output's side on that axis.
func windowSource(l Layer, axis, inH, inW, out, a0, a1 int) (lo, hi int) {
	in := inH
	if axis == 1 {
		in = inW
	}
	lo, hi = in, 0
	add := func(i int) {
		if i >= 0 && i < in {
			lo, hi = min(lo, i), max(hi, i+1)
		}
	}
	switch l.Kind {
	case Pad:
		before := l.Pads[2*axis]
		for o := a0; o < a1; o++ {
			add(PadSource(l.Mode, o, before, in))
		}
		return lo, hi
	case Resize:
		idx, w := ResizeTaps(l, axis, in, out)
		for o := a0; o < a1; o++ {
			for t := range idx[o] {
				if w[o][t] != 0 {
					add(idx[o][t])
				}
			}
		}
		return lo, hi
	case ConvTranspose:
		k, s, d := l.Window(axis)
		p := 0
		if len(l.Pads) == 4 {
			p = l.Pads[2*axis]
		}
		// Output o = i·s − p + j·d for input i and kernel tap j.
		for o := a0; o < a1; o++ {
			for j := 0; j < k; j++ {
				if v := o + p - j*d; v >= 0 && v%s == 0 {
					add(v / s)
				}
			}
		}
		return lo, hi
	}
	ph, pw := l.pads(inH, inW)
	p := ph[0]
	if axis == 1 {
		p = pw[0]
	}
	k, s, d := l.Window(axis)
	return a0*s - p, (a1-1)*s - p + (k-1)*d + 1
}
