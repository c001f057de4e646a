// Package nd holds the plain value types that cross from models to renderers:
// dense float32 arrays with their shape, named series and histograms.
// It imports nothing from GoMLX, so renderers can depend on it freely.
package nd

import (
	"fmt"
	"math"
)

// Array is a dense, row-major float32 array.
type Array struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

// New returns a zero-filled array of the given shape.
func New(shape ...int) Array {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return Array{Shape: append([]int(nil), shape...), Data: make([]float32, n)}
}

// Size is the number of elements the shape describes.
func (a Array) Size() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// Validate reports a shape that does not match the data or has non-positive dimensions.
func (a Array) Validate() error {
	if len(a.Shape) == 0 {
		return fmt.Errorf("array has no shape")
	}
	n := 1
	for i, d := range a.Shape {
		if d <= 0 {
			return fmt.Errorf("array shape %v: dimension %d is %d, want > 0", a.Shape, i, d)
		}
		if n > math.MaxInt32/d {
			return fmt.Errorf("array shape %v is too large", a.Shape)
		}
		n *= d
	}
	if n != len(a.Data) {
		return fmt.Errorf("array shape %v wants %d values, has %d", a.Shape, n, len(a.Data))
	}
	return nil
}

// Sub returns the sub-array at index i of the first axis, sharing data.
func (a Array) Sub(i int) Array {
	inner := 1
	for _, d := range a.Shape[1:] {
		inner *= d
	}
	return Array{Shape: append([]int(nil), a.Shape[1:]...), Data: a.Data[i*inner : (i+1)*inner]}
}

// Rows returns rows [from, to) of the first axis, sharing data.
func (a Array) Rows(from, to int) Array {
	inner := 1
	for _, d := range a.Shape[1:] {
		inner *= d
	}
	shape := append([]int(nil), a.Shape...)
	shape[0] = to - from
	return Array{Shape: shape, Data: a.Data[from*inner : to*inner]}
}

// AppendRows returns a followed by b along the first axis; a may be empty (no shape).
// It may reuse a's storage, so callers must own a.
func AppendRows(a, b Array) Array {
	if len(a.Shape) == 0 {
		return Array{Shape: append([]int(nil), b.Shape...), Data: append([]float32(nil), b.Data...)}
	}
	shape := append([]int(nil), a.Shape...)
	shape[0] += b.Shape[0]
	return Array{Shape: shape, Data: append(a.Data, b.Data...)}
}

// Channel extracts channel c of an HWC array as a [H, W] array (a copy).
func (a Array) Channel(c int) Array {
	h, w, ch := a.Shape[0], a.Shape[1], a.Shape[2]
	out := New(h, w)
	for i := 0; i < h*w; i++ {
		out.Data[i] = a.Data[i*ch+c]
	}
	return out
}

// Series is a named sequence of (x, y) points, e.g. loss per step.
type Series struct {
	Name string    `json:"name"`
	X    []float64 `json:"x"`
	Y    []float64 `json:"y"`
}

// Histogram counts values between bin edges: Counts[i] is in [Edges[i], Edges[i+1]).
type Histogram struct {
	Edges  []float64 `json:"edges"`
	Counts []int     `json:"counts"`
}

// Stats summarizes a set of values.
type Stats struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Norm float64 `json:"norm"` // L2 norm
	// NonFinite counts NaN and Inf values (excluded from the other fields).
	NonFinite int `json:"non_finite,omitempty"`
}

// Summarize computes Stats and a histogram with the given number of bins.
func Summarize(values []float32, bins int) (Stats, Histogram) {
	s := Stats{Min: math.Inf(1), Max: math.Inf(-1)}
	var sum, sumSq float64
	n := 0
	for _, v := range values {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			s.NonFinite++
			continue
		}
		n++
		sum += f
		sumSq += f * f
		s.Min = math.Min(s.Min, f)
		s.Max = math.Max(s.Max, f)
	}
	if n == 0 {
		return Stats{NonFinite: s.NonFinite}, Histogram{}
	}
	s.Mean = sum / float64(n)
	s.Std = math.Sqrt(math.Max(0, sumSq/float64(n)-s.Mean*s.Mean))
	s.Norm = math.Sqrt(sumSq)
	return s, HistogramOf(values, s.Min, s.Max, bins)
}

// HistogramOf bins finite values in [lo, hi] into equal-width bins; hi falls in the last bin.
func HistogramOf(values []float32, lo, hi float64, bins int) Histogram {
	if bins < 1 {
		bins = 1
	}
	if hi <= lo {
		hi = lo + 1e-12
		if hi == lo {
			hi = lo + math.Abs(lo)*1e-6 + 1e-30
		}
	}
	h := Histogram{Edges: make([]float64, bins+1), Counts: make([]int, bins)}
	width := (hi - lo) / float64(bins)
	for i := range h.Edges {
		h.Edges[i] = lo + float64(i)*width
	}
	h.Edges[bins] = hi
	for _, v := range values {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) || f < lo || f > hi {
			continue
		}
		b := int((f - lo) / width)
		if b >= bins {
			b = bins - 1
		}
		h.Counts[b]++
	}
	return h
}

// CheckFinite returns an error naming the first NaN or Inf value.
func CheckFinite(what string, values []float32) error {
	if i := firstNonFinite(values); i >= 0 {
		return fmt.Errorf("%s: value %d is %v (NaN/Inf input is not allowed)", what, i, values[i])
	}
	return nil
}

// firstNonFinite is the index of the first NaN or ±Inf in values, or -1. A block of values
// is checked with adds and ORs alone (exponentCarry), about twice as fast as a compare per
// value (BenchmarkCheckFinite); only a block that fails is searched.
func firstNonFinite(values []float32) int {
	const block = 256
	for start := 0; start < len(values); start += block {
		chunk := values[start:min(start+block, len(values))]
		var c0, c1, c2, c3 uint32 // four chains, so the adds of neighbours overlap
		i := 0
		for ; i+4 <= len(chunk); i += 4 {
			c0 |= exponentCarry(chunk[i])
			c1 |= exponentCarry(chunk[i+1])
			c2 |= exponentCarry(chunk[i+2])
			c3 |= exponentCarry(chunk[i+3])
		}
		for ; i < len(chunk); i++ {
			c0 |= exponentCarry(chunk[i])
		}
		if (c0|c1|c2|c3)&0x80000000 == 0 {
			continue
		}
		for i, v := range chunk {
			if exponentCarry(v)&0x80000000 != 0 {
				return start + i
			}
		}
	}
	return -1
}

// exponentCarry has bit 31 set iff v is NaN or ±Inf: with the sign cleared, adding 2^23
// carries into bit 31 only when the exponent bits are all ones.
func exponentCarry(v float32) uint32 { return math.Float32bits(v)&0x7fffffff + 0x00800000 }

// ResizeBilinear resamples a [h,w] array to [H,W] (pixel centres aligned).
func ResizeBilinear(a Array, H, W int) Array {
	h, w := a.Shape[0], a.Shape[1]
	if h == H && w == W {
		return a
	}
	out := New(H, W)
	for y := 0; y < H; y++ {
		fy := math.Max(0, (float64(y)+0.5)*float64(h)/float64(H)-0.5)
		y0 := min(int(fy), h-1)
		y1 := min(y0+1, h-1)
		dy := float32(fy - float64(y0))
		for x := 0; x < W; x++ {
			fx := math.Max(0, (float64(x)+0.5)*float64(w)/float64(W)-0.5)
			x0 := min(int(fx), w-1)
			x1 := min(x0+1, w-1)
			dx := float32(fx - float64(x0))
			top := a.Data[y0*w+x0]*(1-dx) + a.Data[y0*w+x1]*dx
			bot := a.Data[y1*w+x0]*(1-dx) + a.Data[y1*w+x1]*dx
			out.Data[y*W+x] = top*(1-dy) + bot*dy
		}
	}
	return out
}

// NCHWToNHWC moves the channel axis of a [N, C, H, W] batch last.
func NCHWToNHWC(a Array) (Array, error) {
	if err := a.Validate(); err != nil {
		return Array{}, err
	}
	if len(a.Shape) != 4 {
		return Array{}, fmt.Errorf("array of shape %v is not an [N, C, H, W] batch", a.Shape)
	}
	n, c, h, w := a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3]
	out := New(n, h, w, c)
	ChannelsLast(out.Data, a.Data, n, c, h*w)
	return out, nil
}

// NHWCToNCHW moves the channel axis of a [N, H, W, C] batch first.
func NHWCToNCHW(a Array) (Array, error) {
	if err := a.Validate(); err != nil {
		return Array{}, err
	}
	if len(a.Shape) != 4 {
		return Array{}, fmt.Errorf("array of shape %v is not an [N, H, W, C] batch", a.Shape)
	}
	n, h, w, c := a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3]
	out := New(n, c, h, w)
	ChannelsFirst(out.Data, a.Data, n, c, h*w)
	return out, nil
}

// ChannelsLast writes n items of c channels × hw positions, channel-major in src, position-major into dst.
func ChannelsLast(dst, src []float32, n, c, hw int) {
	for i := range n {
		s, d := src[i*c*hw:][:c*hw], dst[i*c*hw:][:c*hw]
		for ci := range c {
			for p := range hw {
				d[p*c+ci] = s[ci*hw+p]
			}
		}
	}
}

// ChannelsFirst is the inverse of ChannelsLast.
func ChannelsFirst(dst, src []float32, n, c, hw int) {
	for i := range n {
		s, d := src[i*c*hw:][:c*hw], dst[i*c*hw:][:c*hw]
		for p := range hw {
			for ci := range c {
				d[ci*hw+p] = s[p*c+ci]
			}
		}
	}
}
