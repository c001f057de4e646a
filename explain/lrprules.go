package explain

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// LRP rule names, as Zennit 0.5.1 names its rules.
const (
	RuleEpsilon   = "epsilon"    // R_i = x_i Σ_j w_ij R_j / stab(z_j), ε = Epsilon (default 1e-6)
	RuleZPlus     = "zplus"      // α = 1, β = 0: positive contributions (x⁺w⁺ + x⁻w⁻) only
	RuleAlphaBeta = "alpha-beta" // α (positive) − β (negative) contributions, α − β = 1
	RuleGamma     = "gamma"      // weights w + γ·w⁺ favour positive contributions (Zennit's generalised γ)
	RuleZBox      = "zbox"       // z^B, for the first layer: inputs bounded by [Low, High]
	RuleFlat      = "flat"       // for the first layer: every input of a window shares alike
)

// Rule is one LRP rule with its parameters; zero parameters take Zennit's defaults.
type Rule struct {
	Name string
	// Epsilon is the ε rule's ε and the other rules' stabiliser (default 1e-6).
	Epsilon     float64
	Alpha, Beta float64 // alpha-beta (default 2, 1)
	Gamma       float64 // gamma (default 0.25)
	Low, High   float64 // zbox, raw pixel values (as the images)
}

// ruleInputs are what a rule builds on: the layer's input, merged weights and bias, its
// linear map, and the carrier (the output value whose relevance is shared).
type ruleInputs struct {
	x, w, bias, carrier, low, high *graph.Node
	lin                            func(weights, input *graph.Node) *graph.Node
	addBias                        func(y, bias *graph.Node) *graph.Node
}

// ruleTerm is coef · lin(weights, input), its gradient scaled by factor; proportional
// terms have inputs that vanish with x (x, x⁺, x⁻), so that R_in = x ⊙ gradient.
type ruleTerm struct {
	coef         float64
	weights      *graph.Node
	input        *graph.Node
	factor       *graph.Node
	proportional bool
	z            *graph.Node
}

func ruleTerms(r Rule, in ruleInputs) ([]ruleTerm, error) {
	eps := r.Epsilon
	if eps == 0 {
		eps = 1e-6
	}
	zero := func(v *graph.Node) *graph.Node { return graph.ZerosLike(v) }
	pos := func(v *graph.Node) *graph.Node { return graph.Max(v, zero(v)) }
	neg := func(v *graph.Node) *graph.Node { return graph.Min(v, zero(v)) }
	share := func(d *graph.Node) *graph.Node { return graph.Div(in.carrier, stabilize(d, eps)) }
	x, w, b := in.x, in.w, in.bias
	xp, xn, wp, wn := pos(x), neg(x), pos(w), neg(w)
	switch r.Name {
	case RuleEpsilon:
		f := share(in.addBias(in.lin(w, x), b))
		return []ruleTerm{{coef: 1, weights: w, input: x, factor: f, proportional: true}}, nil
	case RuleZPlus:
		f := share(graph.Add(in.addBias(in.lin(wp, xp), pos(b)), in.lin(wn, xn)))
		return []ruleTerm{{coef: 1, weights: wp, input: xp, factor: f, proportional: true},
			{coef: 1, weights: wn, input: xn, factor: f, proportional: true}}, nil
	case RuleAlphaBeta:
		alpha, beta := r.Alpha, r.Beta
		if alpha == 0 && beta == 0 {
			alpha, beta = 2, 1
		}
		if alpha < 0 || beta < 0 || alpha-beta != 1 {
			return nil, fmt.Errorf("alpha-beta needs α, β ≥ 0 and α − β = 1 (got %g, %g)", alpha, beta)
		}
		plus := share(graph.Add(in.addBias(in.lin(wp, xp), pos(b)), in.lin(wn, xn)))
		minus := share(graph.Add(in.addBias(in.lin(wn, xp), neg(b)), in.lin(wp, xn)))
		return []ruleTerm{{coef: alpha, weights: wp, input: xp, factor: plus, proportional: true},
			{coef: alpha, weights: wn, input: xn, factor: plus, proportional: true},
			{coef: -beta, weights: wn, input: xp, factor: minus, proportional: true},
			{coef: -beta, weights: wp, input: xn, factor: minus, proportional: true}}, nil
	case RuleGamma:
		gamma := r.Gamma
		if gamma == 0 {
			gamma = 0.25
		}
		wgp, wgn := graph.Add(w, graph.MulScalar(wp, gamma)), graph.Add(w, graph.MulScalar(wn, gamma))
		bgp, bgn := graph.Add(b, graph.MulScalar(pos(b), gamma)), graph.Add(b, graph.MulScalar(neg(b), gamma))
		z := in.addBias(in.lin(w, x), b)
		up := graph.ConvertDType(graph.GreaterThan(z, zero(z)), z.DType())
		down := graph.ConvertDType(graph.LessThan(z, zero(z)), z.DType())
		fa := graph.Mul(share(graph.Add(in.addBias(in.lin(wgp, xp), bgp), in.lin(wgn, xn))), up)
		fb := graph.Mul(share(graph.Add(in.addBias(in.lin(wgn, xp), bgn), in.lin(wgp, xn))), down)
		return []ruleTerm{{coef: 1, weights: wgp, input: xp, factor: fa, proportional: true},
			{coef: 1, weights: wgn, input: xn, factor: fa, proportional: true},
			{coef: 1, weights: wgn, input: xp, factor: fb, proportional: true},
			{coef: 1, weights: wgp, input: xn, factor: fb, proportional: true}}, nil
	case RuleZBox:
		if !(r.Low < r.High) {
			return nil, fmt.Errorf("zbox needs Low < High (got %g, %g)", r.Low, r.High)
		}
		d := graph.Sub(graph.Sub(in.addBias(in.lin(w, x), b), in.addBias(in.lin(wp, in.low), pos(b))), in.addBias(in.lin(wn, in.high), neg(b)))
		f := share(d)
		return []ruleTerm{{coef: 1, weights: w, input: x, factor: f, proportional: true},
			{coef: -1, weights: wp, input: in.low, factor: f},
			{coef: -1, weights: wn, input: in.high, factor: f}}, nil
	case RuleFlat:
		ones, onesIn := graph.OnesLike(w), graph.OnesLike(x)
		f := share(in.lin(ones, onesIn))
		return []ruleTerm{{coef: 1, weights: ones, input: onesIn, factor: f}}, nil
	}
	return nil, fmt.Errorf("unknown LRP rule %q (known: %s, %s, %s, %s, %s, %s)", r.Name, RuleEpsilon, RuleZPlus, RuleAlphaBeta, RuleGamma, RuleZBox, RuleFlat)
}
