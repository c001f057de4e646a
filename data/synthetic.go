package data

import (
	"fmt"
	"math/rand/v2"
)

// Synthetic makes a learnable dataset of n images h×w×c with the given number of classes:
// class k draws a bright square at a position and channel that depend on k, on top of
// uniform noise. Seeded: the same arguments give the same data.
func Synthetic(n, h, w, c, classes int, seed uint64) (*Dataset, error) {
	if n <= 0 || h < 4 || w < 4 || c <= 0 || classes < 2 {
		return nil, fmt.Errorf("synthetic: need n>0, h,w>=4, c>0, classes>=2 (got n=%d h=%d w=%d c=%d classes=%d)", n, h, w, c, classes)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	d := &Dataset{Name: "synthetic", N: n, H: h, W: w, C: c, Images: make([]float32, n*h*w*c), Labels: make([]int32, n)}
	for k := 0; k < classes; k++ {
		d.Classes = append(d.Classes, fmt.Sprintf("class %d", k))
	}
	side := max(2, min(h, w)/4)
	cols := max(1, (w-side)/side+1)
	for i := 0; i < n; i++ {
		k := i % classes
		d.Labels[i] = int32(k)
		img := d.Image(i)
		for j := range img {
			img[j] = 0.3 * rng.Float32()
		}
		cell := k % (cols * max(1, (h-side)/side+1))
		y0 := min((cell/cols)*side, h-side)
		x0 := min((cell%cols)*side, w-side)
		ch := k % c
		jy, jx := rng.IntN(2), rng.IntN(2)
		for y := y0; y < y0+side; y++ {
			for x := x0; x < x0+side; x++ {
				yy, xx := min(y+jy, h-1), min(x+jx, w-1)
				img[(yy*w+xx)*c+ch] = 0.7 + 0.3*rng.Float32()
			}
		}
	}
	return d, nil
}
