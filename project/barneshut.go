package project

import "math"

// quad is a Barnes-Hut quadtree cell: its points' count and centre of mass, its square
// (centre cx, cy and half side), and its four children or its one point.
type quad struct {
	n            int
	mx, my       float64 // centre of mass
	cx, cy, half float64
	child        [4]*quad
	point        int // the index of the cell's only point (leaf), else −1
	px, py       float64
}

func (q *quad) insert(i int, x, y float64, depth int) {
	q.mx = (q.mx*float64(q.n) + x) / float64(q.n+1)
	q.my = (q.my*float64(q.n) + y) / float64(q.n+1)
	q.n++
	if q.n == 1 {
		q.point, q.px, q.py = i, x, y
		return
	}
	if depth > 48 { // coincident points: keep them in one cell
		return
	}
	if q.point >= 0 { // split a leaf
		old, ox, oy := q.point, q.px, q.py
		q.point = -1
		q.childFor(ox, oy).insert(old, ox, oy, depth+1)
	}
	q.childFor(x, y).insert(i, x, y, depth+1)
}

func (q *quad) childFor(x, y float64) *quad {
	k, h := 0, q.half/2
	cx, cy := q.cx-h, q.cy-h
	if x >= q.cx {
		k, cx = k+1, q.cx+h
	}
	if y >= q.cy {
		k, cy = k+2, q.cy+h
	}
	if q.child[k] == nil {
		q.child[k] = &quad{cx: cx, cy: cy, half: h, point: -1}
	}
	return q.child[k]
}

// repulse adds, for point (x, y), Σ w² (y_i − y_j) over the points of q, and Σ w to z,
// treating a cell as one point at its centre of mass when its side / distance < theta.
func (q *quad) repulse(i int, x, y, theta float64, fx, fy, z *float64) {
	if q == nil || q.n == 0 || (q.n == 1 && q.point == i) {
		return
	}
	dx, dy := x-q.mx, y-q.my
	d2 := dx*dx + dy*dy
	leaf := q.point >= 0 || q.child == [4]*quad{}
	if leaf || (2*q.half)*(2*q.half) < theta*theta*d2 {
		n := float64(q.n)
		if leaf && q.point == i { // coincident points that include i
			n--
		}
		w := 1 / (1 + d2)
		*z += n * w
		*fx += n * w * w * dx
		*fy += n * w * w * dy
		return
	}
	for _, c := range q.child {
		c.repulse(i, x, y, theta, fx, fy, z)
	}
}

// bhGradient is exactGradient with the repulsion by Barnes-Hut.
func bhGradient(y []float64, p *sparseP, ex, theta float64, grad []float64) {
	n := len(y) / 2
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range y {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	half := (hi-lo)/2 + 1e-9
	root := &quad{cx: (hi + lo) / 2, cy: (hi + lo) / 2, half: half, point: -1}
	for i := 0; i < n; i++ {
		root.insert(i, y[2*i], y[2*i+1], 0)
	}
	rep := make([]float64, 2*n)
	zs := make([]float64, n)
	parallel(n, func(i int) {
		var fx, fy, z float64
		root.repulse(i, y[2*i], y[2*i+1], theta, &fx, &fy, &z)
		rep[2*i], rep[2*i+1], zs[i] = fx, fy, z
	})
	combine(y, p, ex, rep, zs, grad)
}
