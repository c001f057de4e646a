package vizhtml

import (
	"fmt"
	"math"
	"strings"

	"github.com/convlens/convlens/nd"
)

// WorkedWindow places one output position of a sliding window on its input.
type WorkedWindow struct {
	Row, Col int // output position
	Stride   int // default 1
	Pad      int // zeros added on each side (same padding of a 3×3 kernel: 1)
}

func (w *WorkedWindow) origin(size, h, wd int) (int, int, error) {
	if w.Stride <= 0 {
		w.Stride = 1
	}
	if w.Pad < 0 || w.Pad >= size {
		return 0, 0, fmt.Errorf("padding %d for a window of %d", w.Pad, size)
	}
	outH, outW := (h+2*w.Pad-size)/w.Stride+1, (wd+2*w.Pad-size)/w.Stride+1
	if w.Row < 0 || w.Col < 0 || w.Row >= outH || w.Col >= outW {
		return 0, 0, fmt.Errorf("output position (%d, %d) outside the %d×%d output", w.Row, w.Col, outH, outW)
	}
	return w.Row*w.Stride - w.Pad, w.Col*w.Stride - w.Pad, nil
}

// numberGrid writes a k×k table of numbers, each cell coloured by cmap over r; data-v holds
// the exact value. Cells outside the image (padding) are marked.
func numberGrid(b *strings.Builder, caption string, vals []float64, outside []bool, k int, cmap Colormap, r Range, mark int) {
	b.WriteString(`<div style="display:flex;flex-direction:column;align-items:center;gap:2px"><table class="cl-num" style="border-collapse:collapse;font:12px monospace">`)
	for y := 0; y < k; y++ {
		b.WriteString("<tr>")
		for x := 0; x < k; x++ {
			i := y*k + x
			v := vals[i]
			t := 0.5
			if r.Hi > r.Lo {
				t = (v - r.Lo) / (r.Hi - r.Lo)
			}
			cr, cg, cb := cmap.RGB(t)
			ink := "#000"
			if 0.299*float64(cr)+0.587*float64(cg)+0.114*float64(cb) < 110 {
				ink = "#fff"
			}
			border := "1px solid #bbb"
			if i == mark {
				border = "2px solid #d62728"
			}
			title := ""
			if outside != nil && outside[i] {
				border, title = "1px dashed #999", ` title="padding"`
			}
			fmt.Fprintf(b, `<td data-v="%g"%s style="width:44px;height:30px;text-align:center;background:rgb(%d,%d,%d);color:%s;border:%s">%s</td>`,
				v, title, cr, cg, cb, ink, border, workedNumber(v))
		}
		b.WriteString("</tr>")
	}
	fmt.Fprintf(b, `</table><span style="font-size:11px;color:#444">%s</span></div>`, esc(caption))
}

// workedNumber writes a value for a table cell: two decimals, or three significant digits.
func workedNumber(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 0.01 && math.Abs(v) < 1000:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func workedSign(s string) string {
	return `<span style="font-size:22px;color:#555;padding:0 6px;align-self:center">` + s + `</span>`
}

// WorkedConvolution shows one value of a convolution worked out by hand: the window of the
// image ([H,W], one channel) under the kernel ([k,k]) at an output position, the kernel, their
// products, and the sum plus bias — beside modelValue, the value the model computed there
// (NaN to leave it out). The sum is data-sum, the model's value data-model, for checks.
func WorkedConvolution(title string, image, kernel nd.Array, bias float64, at WorkedWindow, modelValue float64) (Fragment, error) {
	if len(image.Shape) != 2 || len(kernel.Shape) != 2 || kernel.Shape[0] != kernel.Shape[1] || kernel.Shape[0] < 1 || kernel.Shape[0] > 11 {
		return Fragment{}, fmt.Errorf("worked convolution: image %v must be [H,W] and kernel %v square [k,k] with k ≤ 11", image.Shape, kernel.Shape)
	}
	if err := image.Validate(); err != nil {
		return Fragment{}, fmt.Errorf("worked convolution image: %w", err)
	}
	if err := kernel.Validate(); err != nil {
		return Fragment{}, fmt.Errorf("worked convolution kernel: %w", err)
	}
	for _, v := range append(append([]float32(nil), image.Data...), kernel.Data...) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return Fragment{}, fmt.Errorf("worked convolution: non-finite value %v", v)
		}
	}
	if math.IsNaN(bias) || math.IsInf(bias, 0) {
		return Fragment{}, fmt.Errorf("worked convolution: bias %v", bias)
	}
	k, h, w := kernel.Shape[0], image.Shape[0], image.Shape[1]
	y0, x0, err := at.origin(k, h, w)
	if err != nil {
		return Fragment{}, fmt.Errorf("worked convolution: %w", err)
	}
	window, kern, prod := make([]float64, k*k), make([]float64, k*k), make([]float64, k*k)
	outside := make([]bool, k*k)
	sum := 0.0
	for i := range window {
		y, x := y0+i/k, x0+i%k
		if y >= 0 && x >= 0 && y < h && x < w {
			window[i] = float64(image.Data[y*w+x])
		} else {
			outside[i] = true
		}
		kern[i] = float64(kernel.Data[i])
		prod[i] = window[i] * kern[i]
		sum += prod[i]
	}
	signed := func(v []float64) Range {
		m := 0.0
		for _, x := range v {
			m = math.Max(m, math.Abs(x))
		}
		if m == 0 {
			m = 1
		}
		return Range{-m, m}
	}
	lo, hi := 0.0, 1.0
	for _, v := range window {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	var b strings.Builder
	if title != "" {
		fmt.Fprintf(&b, "<h3>%s</h3>", esc(title))
	}
	fmt.Fprintf(&b, `<div class="cl-worked" data-sum="%g" data-model="%g" style="display:flex;flex-wrap:wrap;align-items:flex-start;gap:4px">`, sum+bias, modelValue)
	numberGrid(&b, fmt.Sprintf("image window at rows %d–%d, columns %d–%d", y0, y0+k-1, x0, x0+k-1), window, outside, k, Gray, Range{lo, hi}, -1)
	b.WriteString(workedSign("×"))
	numberGrid(&b, "kernel", kern, nil, k, Diverging, signed(kern), -1)
	b.WriteString(workedSign("="))
	numberGrid(&b, "products (summed)", prod, outside, k, Diverging, signed(prod), -1)
	b.WriteString(workedSign("→"))
	fmt.Fprintf(&b, `<div style="align-self:center;font:13px sans-serif;line-height:20px">sum of products %s<br>+ bias %s<br>= <b>%s</b>`,
		workedNumber(sum), workedNumber(bias), workedNumber(sum+bias))
	if !math.IsNaN(modelValue) {
		fmt.Fprintf(&b, `<br>the model's value at (%d, %d): <b>%s</b>`, at.Row, at.Col, workedNumber(modelValue))
	}
	b.WriteString("</div></div>")
	note := "Each product is one pixel times the kernel weight over it; their sum plus the bias is one number of the feature map."
	for _, o := range outside {
		if o {
			note += " Dashed cells are padding: zeros outside the image."
			break
		}
	}
	fmt.Fprintf(&b, `<p class="cl-note">%s</p>`, esc(note))
	return Fragment{HTML: b.String()}, nil
}

// WorkedPooling shows one value of max and of average pooling worked out by hand: the
// size×size window of maps ([H,W]) at an output position (stride = size, no padding), its
// largest value marked, and both summaries — beside modelValue, what the model's pooling
// layer computed there (NaN to leave it out). data-max, data-mean and data-model hold them.
func WorkedPooling(title string, maps nd.Array, size int, row, col int, modelValue float64) (Fragment, error) {
	if len(maps.Shape) != 2 || size < 1 || size > 11 {
		return Fragment{}, fmt.Errorf("worked pooling: maps %v must be [H,W] and the window 1…11 (got %d)", maps.Shape, size)
	}
	if err := maps.Validate(); err != nil {
		return Fragment{}, fmt.Errorf("worked pooling: %w", err)
	}
	at := WorkedWindow{Row: row, Col: col, Stride: size}
	y0, x0, err := at.origin(size, maps.Shape[0], maps.Shape[1])
	if err != nil {
		return Fragment{}, fmt.Errorf("worked pooling: %w", err)
	}
	w := maps.Shape[1]
	vals := make([]float64, size*size)
	best, mean := 0, 0.0
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range vals {
		v := float64(maps.Data[(y0+i/size)*w+x0+i%size])
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Fragment{}, fmt.Errorf("worked pooling: non-finite value %v", v)
		}
		vals[i] = v
		if v > vals[best] {
			best = i
		}
		mean += v / float64(len(vals))
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	var b strings.Builder
	if title != "" {
		fmt.Fprintf(&b, "<h3>%s</h3>", esc(title))
	}
	fmt.Fprintf(&b, `<div class="cl-worked" data-max="%g" data-mean="%g" data-model="%g" style="display:flex;flex-wrap:wrap;align-items:flex-start;gap:4px">`, vals[best], mean, modelValue)
	numberGrid(&b, fmt.Sprintf("window at rows %d–%d, columns %d–%d", y0, y0+size-1, x0, x0+size-1), vals, nil, size, Viridis, Range{lo, hi}, best)
	b.WriteString(workedSign("→"))
	fmt.Fprintf(&b, `<div style="align-self:center;font:13px sans-serif;line-height:20px">max pooling keeps <b>%s</b> (outlined)<br>average pooling keeps <b>%s</b>`,
		workedNumber(vals[best]), workedNumber(mean))
	if !math.IsNaN(modelValue) {
		fmt.Fprintf(&b, `<br>the model's value at (%d, %d): <b>%s</b>`, row, col, workedNumber(modelValue))
	}
	b.WriteString("</div></div>")
	return Fragment{HTML: b.String()}, nil
}

// StrideAndPadding draws where a k×k kernel visits an n×n image with a stride and zero
// padding: the padded grid (padding cells dashed), the first window tinted, a dot at the
// top-left corner of every window, and the output size ⌊(n + 2·pad − k)/stride⌋ + 1 (data-out).
func StrideAndPadding(titleText string, n, k, stride, pad int) (Fragment, error) {
	if n < 1 || n > 16 || k < 1 || stride < 1 || stride > n || pad < 0 || pad >= k || k > n+2*pad {
		return Fragment{}, fmt.Errorf("stride and padding: image %d (1…16), kernel %d (at most the padded image), stride %d (1…image), padding %d (below the kernel)", n, k, stride, pad)
	}
	side := n + 2*pad
	out := (side-k)/stride + 1
	var b strings.Builder
	// Inline blocks with the title inside, so that several sit side by side.
	fmt.Fprintf(&b, `<div class="cl-stride" data-out="%d" style="display:inline-flex;flex-direction:column;align-items:center;gap:4px;margin:0 16px 8px 0;vertical-align:top">`, out)
	if titleText != "" {
		fmt.Fprintf(&b, `<b style="font:bold 13px sans-serif">%s</b>`, esc(titleText))
	}
	b.WriteString(`<table style="border-collapse:collapse;font:10px monospace">`)
	for y := 0; y < side; y++ {
		b.WriteString("<tr>")
		for x := 0; x < side; x++ {
			padding := y < pad || x < pad || y >= pad+n || x >= pad+n
			bg, border, text := "#d9d9d9", "1px solid #999", ""
			if padding {
				bg, border, text = "#fff", "1px dashed #bbb", "0"
			}
			if y < k && x < k {
				bg = "#f4a582" // the first window
			}
			corner := y%stride == 0 && x%stride == 0 && y/stride < out && x/stride < out
			if corner {
				text = "•"
			}
			fmt.Fprintf(&b, `<td data-corner="%t" style="width:18px;height:18px;padding:0;text-align:center;color:#333;background:%s;border:%s">%s</td>`, corner, bg, border, text)
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	fmt.Fprintf(&b, `<span style="font:12px sans-serif;color:#333;text-align:center">%d×%d image, %d×%d kernel, stride %d, padding %d<br>→ output %d×%d = ⌊(%d + 2·%d − %d) / %d⌋ + 1</span></div>`,
		n, n, k, k, stride, pad, out, out, n, pad, k, stride)
	return Fragment{HTML: b.String()}, nil
}
