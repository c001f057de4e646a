package training

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// bar draws a one-line terminal progress bar, redrawn at most 5 times a second.
type bar struct {
	w     io.Writer
	total int64
	start time.Time
	last  time.Time
}

func newBar(w io.Writer, total int64) *bar { return &bar{w: w, total: total, start: time.Now()} }

func (b *bar) update(step int64, loss, acc, ips float64) {
	if b.w == nil || (time.Since(b.last) < 200*time.Millisecond && step < b.total) {
		return
	}
	b.last = time.Now()
	const width = 30
	frac := float64(step) / float64(max(b.total, 1))
	done := int(frac * width)
	eta := "--"
	if step > 0 {
		el := time.Since(b.start)
		eta = (time.Duration(float64(el)/frac) - el).Round(time.Second).String()
	}
	fmt.Fprintf(b.w, "\r[%s%s] %d/%d loss %.4f acc %.3f %6.0f img/s ETA %s   ",
		strings.Repeat("=", done), strings.Repeat(" ", width-done), step, b.total, loss, acc, ips, eta)
}
