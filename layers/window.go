package layers

import "fmt"

// Window geometry shared by convolutions and pools.

// dilation is the kernel dilation (1 when unset).
func (l Layer) dilation() int { return max(l.Dilation, 1) }

// effectiveKernel is the span of a dilated kernel.
func (l Layer) effectiveKernel() int { return (l.Kernel-1)*l.dilation() + 1 }

// checkWindow validates a spatial input and the window fields.
func (l Layer) checkWindow(in []int) error {
	if len(in) != 3 {
		return fmt.Errorf("needs an H×W×C input, got shape %v (conv and pool layers must come before Flatten)", in)
	}
	if l.Kernel < 1 || l.Kernel > maxKernel {
		return fmt.Errorf("kernel %d outside [1, %d]", l.Kernel, maxKernel)
	}
	if l.Stride < 1 || l.Stride > maxKernel {
		return fmt.Errorf("stride %d outside [1, %d]", l.Stride, maxKernel)
	}
	if l.Dilation < 0 || l.Dilation > maxKernel {
		return fmt.Errorf("dilation %d outside [1, %d]", l.Dilation, maxKernel)
	}
	switch l.Padding {
	case Same, Valid:
		if len(l.Pads) != 0 {
			return fmt.Errorf("pads %v given with %s padding (use explicit)", l.Pads, l.Padding)
		}
	case Explicit:
		if len(l.Pads) != 4 {
			return fmt.Errorf("explicit padding needs 4 pads (top, bottom, left, right), got %v", l.Pads)
		}
		for _, p := range l.Pads {
			if p < 0 || p >= l.effectiveKernel() {
				return fmt.Errorf("pad %d outside [0, %d) for kernel %d", p, l.effectiveKernel(), l.Kernel)
			}
		}
	default:
		return fmt.Errorf("padding %q (want same, valid or explicit)", l.Padding)
	}
	ph, pw := l.pads(in[0], in[1])
	if k := l.effectiveKernel(); k > in[0]+ph[0]+ph[1] || k > in[1]+pw[0]+pw[1] {
		return fmt.Errorf("kernel %d (span %d) larger than its padded %dx%d input", l.Kernel, k, in[0], in[1])
	}
	return nil
}

// pads returns the (low, high) zero padding of the height and width axes.
func (l Layer) pads(h, w int) (ph, pw [2]int) {
	switch l.Padding {
	case Explicit:
		return [2]int{l.Pads[0], l.Pads[1]}, [2]int{l.Pads[2], l.Pads[3]}
	case Same:
		return samePad(h, l.effectiveKernel(), l.Stride), samePad(w, l.effectiveKernel(), l.Stride)
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
	k := l.effectiveKernel()
	return (h+ph[0]+ph[1]-k)/l.Stride + 1, (w+pw[0]+pw[1]-k)/l.Stride + 1
}

// WindowPads is the zero padding (top, bottom, left, right) a conv or pool applies to an h×w input.
func (l Layer) WindowPads(h, w int) [4]int {
	ph, pw := l.pads(h, w)
	return [4]int{ph[0], ph[1], pw[0], pw[1]}
}
