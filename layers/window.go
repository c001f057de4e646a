package layers

import "fmt"

// Window geometry shared by convolutions and pools. Kernel, Stride and Dilation give the
// height's window; KernelW, StrideW and DilationW the width's where they differ.

// window is the geometry of one axis: kernel size, stride and dilation.
type window struct{ k, s, d int }

// span is the extent of a dilated kernel.
func (w window) span() int { return (w.k-1)*w.d + 1 }

// windows returns the height's and the width's window geometry.
func (l Layer) windows() (h, w window) {
	h = window{l.Kernel, max(l.Stride, 1), max(l.Dilation, 1)}
	w = h
	if l.KernelW > 0 {
		w.k = l.KernelW
	}
	if l.StrideW > 0 {
		w.s = l.StrideW
	}
	if l.DilationW > 0 {
		w.d = l.DilationW
	}
	return h, w
}

// Square reports whether the window is the same on both axes.
func (l Layer) Square() bool {
	h, w := l.windows()
	return h == w
}

// Window returns the kernel, stride and dilation of the height (0) or width (1) axis.
func (l Layer) Window(axis int) (kernel, stride, dilation int) {
	h, w := l.windows()
	if axis == 1 {
		h = w
	}
	return h.k, h.s, h.d
}

// checkWindow validates a spatial input and the window fields.
func (l Layer) checkWindow(in []int) error {
	if len(in) != 3 {
		return fmt.Errorf("needs an H×W×C input, got shape %v (conv and pool layers must come before Flatten)", in)
	}
	for _, f := range []struct {
		name string
		v    int
		lo   int
	}{{"kernel", l.Kernel, 1}, {"stride", l.Stride, 1}, {"dilation", l.Dilation, 0}, {"kernel_w", l.KernelW, 0}, {"stride_w", l.StrideW, 0}, {"dilation_w", l.DilationW, 0}} {
		if f.v < f.lo || f.v > maxKernel {
			return fmt.Errorf("%s %d outside [%d, %d]", f.name, f.v, max(f.lo, 1), maxKernel)
		}
	}
	h, w := l.windows()
	switch l.Padding {
	case Same, Valid:
		if len(l.Pads) != 0 {
			return fmt.Errorf("pads %v given with %s padding (use explicit)", l.Pads, l.Padding)
		}
	case Explicit:
		if len(l.Pads) != 4 {
			return fmt.Errorf("explicit padding needs 4 pads (top, bottom, left, right), got %v", l.Pads)
		}
		for i, p := range l.Pads {
			span := h.span()
			if i >= 2 {
				span = w.span()
			}
			if p < 0 || p >= span {
				return fmt.Errorf("pad %d outside [0, %d) for a kernel span of %d", p, span, span)
			}
		}
	default:
		return fmt.Errorf("padding %q (want same, valid or explicit)", l.Padding)
	}
	ph, pw := l.pads(in[0], in[1])
	if h.span() > in[0]+ph[0]+ph[1] || w.span() > in[1]+pw[0]+pw[1] {
		return fmt.Errorf("kernel %d×%d (span %d×%d) larger than its padded %dx%d input", h.k, w.k, h.span(), w.span(), in[0], in[1])
	}
	return nil
}

// pads returns the (low, high) zero padding of the height and width axes.
func (l Layer) pads(h, w int) (ph, pw [2]int) {
	wh, ww := l.windows()
	switch l.Padding {
	case Explicit:
		return [2]int{l.Pads[0], l.Pads[1]}, [2]int{l.Pads[2], l.Pads[3]}
	case Same:
		return samePad(h, wh.span(), wh.s), samePad(w, ww.span(), ww.s)
	}
	return [2]int{}, [2]int{}
}

// samePad is TensorFlow's "same" padding of one axis: ceil(in/stride) outputs, extra on the high side.
func samePad(in, k, s int) [2]int {
	out := (in + s - 1) / s
	total := max((out-1)*s+k-in, 0)
	return [2]int{total / 2, total - total/2}
}

// windowOut is the output height and width of the layer's window op on an h×w input.
func (l Layer) windowOut(h, w int) (int, int) {
	ph, pw := l.pads(h, w)
	wh, ww := l.windows()
	return (h+ph[0]+ph[1]-wh.span())/wh.s + 1, (w+pw[0]+pw[1]-ww.span())/ww.s + 1
}

// WindowPads is the zero padding (top, bottom, left, right) a conv or pool applies to an h×w input.
func (l Layer) WindowPads(h, w int) [4]int {
	ph, pw := l.pads(h, w)
	return [4]int{ph[0], ph[1], pw[0], pw[1]}
}
