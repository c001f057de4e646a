package explain

import (
	"fmt"
	"strings"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// LRP is layer-wise relevance propagation (Bach et al., 2015): the target logit's relevance
// is passed down layer by layer, each layer sharing it among its inputs by a rule, as
// Zennit 0.5.1 defines the rules and composites. Convention (Zennit's): the target logit
// starts with relevance 1, so a conservative rule's map sums to about 1; batch norm is
// merged into the convolution or dense layer before it (Zennit's SequentialMergeBatchNorm),
// elsewhere passed through. Maps are signed; Raw holds the relevance of each input value
// (after the model's normalisation) and Pixels its sum over the channels.
type LRP struct {
	// Composite assigns the rules (default EpsilonPlusFlat).
	Composite Composite
}

// Composite assigns a rule to each layer: Conv to convolutions, Dense to dense layers,
// First (when set) to the first convolution or dense layer, the one reading the image.
// Activations, batch norm (not merged) and affine layers pass relevance on unchanged;
// sums and average pooling share it in proportion to their inputs (Zennit's Norm); max
// pooling, reshapes, padding and concatenation route it as the gradient does.
type Composite struct {
	Name        string
	Conv, Dense Rule
	First       *Rule
	// FirstConvOnly applies First only when the first such layer is a convolution (Zennit's
	// EpsilonGammaBox), not a dense layer.
	FirstConvOnly bool
}

// EpsilonPlusFlat is Zennit's recommended composite for CNNs: z⁺ for convolutions, ε for
// dense layers, flat for the first layer.
func EpsilonPlusFlat() Composite {
	return Composite{Name: "epsilon-plus-flat", Conv: Rule{Name: RuleZPlus}, Dense: Rule{Name: RuleEpsilon}, First: &Rule{Name: RuleFlat}}
}

// EpsilonGammaBox is γ = 0.25 for convolutions, ε for dense layers and z^B, bounded by low
// and high (raw pixel values, as the images), for the first convolution.
func EpsilonGammaBox(low, high float64) Composite {
	return Composite{Name: "epsilon-gamma-box", Conv: Rule{Name: RuleGamma, Gamma: 0.25}, Dense: Rule{Name: RuleEpsilon},
		First: &Rule{Name: RuleZBox, Low: low, High: high}, FirstConvOnly: true}
}

// EpsilonAlpha2Beta1 is α = 2, β = 1 for convolutions and ε for dense layers.
func EpsilonAlpha2Beta1() Composite {
	return Composite{Name: "epsilon-alpha2-beta1", Conv: Rule{Name: RuleAlphaBeta, Alpha: 2, Beta: 1}, Dense: Rule{Name: RuleEpsilon}}
}

// CompositeByName returns a named composite (EpsilonGammaBox bounded by [0, 1]).
func CompositeByName(name string) (Composite, error) {
	switch strings.ToLower(name) {
	case "", "epsilon-plus-flat", "epsilonplusflat":
		return EpsilonPlusFlat(), nil
	case "epsilon-gamma-box", "epsilongammabox":
		return EpsilonGammaBox(0, 1), nil
	case "epsilon-alpha2-beta1", "epsilonalpha2beta1":
		return EpsilonAlpha2Beta1(), nil
	}
	return Composite{}, fmt.Errorf("unknown LRP composite %q (known: epsilon-plus-flat, epsilon-gamma-box, epsilon-alpha2-beta1)", name)
}

func (l LRP) composite() Composite {
	if l.Composite.Name == "" {
		return EpsilonPlusFlat()
	}
	return l.Composite
}

func (l LRP) Name() string {
	if c := l.composite(); c.Name != "epsilon-plus-flat" {
		return "lrp (" + c.Name + ")"
	}
	return "lrp"
}

func (l LRP) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	targets, err := ex.prepare(images, targets)
	if err != nil {
		return nil, err
	}
	c := l.composite()
	plan, err := lrpPlanFor(ex.Model.Spec, c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.Name(), err)
	}
	exec, err := ex.lrpExec(plan)
	if err != nil {
		return nil, err
	}
	size := len(images.Data) / images.Shape[0]
	raw := nd.New(images.Shape...)
	var probe *tensors.Tensor // ones shaped like a chunk: the first rule's relevance is its gradient
	// A rule's graph keeps several modified forward passes per layer: an eighth of the
	// gradient batch (ResNet-50: 1 image a call) keeps its peak near a gradient's.
	err = ex.eachChunk(images, targets, ex.MaxBatch/8, func(start, k int, batch, onehot *tensors.Tensor) error {
		if probe == nil {
			ones := make([]float32, batch.Shape().Size())
			for i := range ones {
				ones[i] = 1
			}
			probe = tensors.FromFlatDataAndDimensions(ones, batch.Shape().Dimensions...)
		}
		var res []*tensors.Tensor
		err := layers.Safe("lrp", func() error {
			var err error
			res, err = exec.Exec(batch, onehot, probe)
			return err
		})
		if err != nil {
			return err
		}
		scores, err := layers.ToArray(res[0])
		if err != nil {
			return err
		}
		rel, err := layers.ToArray(res[1])
		if err != nil {
			return err
		}
		for i := 0; i < k; i++ { // the logit starts with relevance 1, not its value
			z := float64(scores.Data[i])
			dst := raw.Data[(start+i)*size : (start+i+1)*size]
			for j, v := range rel.Data[i*size : (i+1)*size] {
				if z != 0 {
					dst[j] = float32(float64(v) / z)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Maps{Method: l.Name(), Pixels: channelReduce(raw, sumOf), Raw: raw, Signed: true, Targets: targets}, nil
}

// lrpPlan is what the graph needs to know of the model before it is built.
type lrpPlan struct {
	key       string
	composite Composite
	first     string                 // the layer the first rule applies to ("" for none)
	mergedBN  map[string]layers.Node // linear layer → the batch norm merged into it
	merged    map[string]bool        // batch norms merged into their linear layer
}

func lrpPlanFor(s *layers.Spec, c Composite) (*lrpPlan, error) {
	t, err := s.Topology()
	if err != nil {
		return nil, err
	}
	consumers := map[string][]layers.Node{}
	for _, n := range t.Nodes {
		for _, in := range n.Inputs {
			consumers[in] = append(consumers[in], n)
		}
	}
	p := &lrpPlan{composite: c, mergedBN: map[string]layers.Node{}, merged: map[string]bool{},
		key: fmt.Sprintf("lrp:%s:%+v:%+v:%+v:%v", c.Name, c.Conv, c.Dense, c.First, c.FirstConvOnly)}
	if c.First != nil {
		p.key += fmt.Sprintf(":%+v", *c.First)
	}
	sawLinear := false
	for _, n := range t.Nodes {
		b, ok := lrpKinds[n.Kind]
		if !ok || b == lrpRefused {
			return nil, fmt.Errorf("no relevance rule for layer %q (%s)", n.Name, n.Kind)
		}
		if b != lrpLinear {
			continue
		}
		// The first linear layer takes the first rule, where the composite has one for its
		// kind; without, the input's relevance is x ⊙ g.
		if !sawLinear && c.First != nil && !(c.FirstConvOnly && n.Kind != layers.Conv2D) {
			if len(n.Inputs) != 1 || n.Inputs[0] != layers.InputName {
				return nil, fmt.Errorf("the first-layer rule %s needs layer %q to read the image itself", c.First.Name, n.Name)
			}
			p.first = n.Name
		}
		sawLinear = true
		if next := consumers[n.Name]; !n.HasActivation() && len(next) == 1 && next[0].Kind == layers.BatchNorm {
			p.mergedBN[n.Name] = next[0]
			p.merged[next[0].Name] = true
		}
	}
	return p, nil
}

func (ex *Explainer) lrpExec(p *lrpPlan) (*context.Exec, error) {
	m := ex.Model
	return compiled(ex, p.key, "LRP", func(ctx *context.Context, x, onehot, probe *graph.Node) []*graph.Node {
		b := &lrpBuild{plan: p, model: m, ctx: ctx, probe: probe}
		f := m.BuildHooked(ctx, x, false, b.hook)
		scores := graph.ReduceSum(graph.Mul(f.Logits, onehot), -1)
		total := graph.ReduceAllSum(scores)
		if p.first != "" {
			return []*graph.Node{scores, graph.Gradient(total, probe)[0]}
		}
		// R = x̂ ⊙ ∂/∂x̂ with x̂ = (x − mean)/std: (x − mean) ⊙ ∂/∂x.
		return []*graph.Node{scores, graph.Mul(centredInput(m.Spec, x), graph.Gradient(total, x)[0])}
	})
}

// lrpBuild carries one LRP graph's state through the model's build.
type lrpBuild struct {
	plan  *lrpPlan
	model *layers.Model
	ctx   *context.Context
	probe *graph.Node
}

// hook replaces each layer's output by a node of the same value whose gradient carries
// relevance: if R = a ⊙ g holds at a layer's output a (g the gradient arriving there), the
// node makes it hold at its inputs too, R_in = x ⊙ g_x, by routing the gradient through the
// rule's modified forward z_t with the factor a / stab(denominator) held constant. The
// first layer routes it to the probe instead, whose gradient is then R at the image.
func (b *lrpBuild) hook(n layers.Node, in []*graph.Node, pre, out *graph.Node) *graph.Node {
	switch lrpKinds[n.Kind] {
	case lrpLinear:
		return b.linear(n, in[0], pre, out)
	case lrpNorm:
		return relevant(out, []lrpTerm{{coef: 1, z: pre, factor: graph.Div(out, stabilize(pre, 1e-6))}})
	case lrpPass:
		if b.plan.merged[n.Name] {
			return graph.Add(graph.StopGradient(out), graph.Sub(in[0], graph.StopGradient(in[0])))
		}
		return relevant(out, []lrpTerm{{coef: 1, z: in[0], factor: safeRatio(out, in[0])}})
	case lrpGradient:
		if n.HasActivation() { // the activation passes relevance on
			return relevant(out, []lrpTerm{{coef: 1, z: pre, factor: safeRatio(out, pre)}})
		}
		return out
	}
	panic(fmt.Errorf("LRP: no rule for layer %q (%s)", n.Name, n.Kind))
}

// lrpTerm is one part of a rule: coef · z, with the gradient scaled by factor.
type lrpTerm struct {
	coef   float64
	z      *graph.Node
	factor *graph.Node
}

// relevant is value with the gradient Σ coef · (∂z/∂·)ᵀ (g ⊙ factor).
func relevant(value *graph.Node, terms []lrpTerm) *graph.Node {
	y := graph.StopGradient(value)
	for _, t := range terms {
		part := graph.Mul(graph.Sub(t.z, graph.StopGradient(t.z)), graph.StopGradient(t.factor))
		if t.coef != 1 {
			part = graph.MulScalar(part, t.coef)
		}
		y = graph.Add(y, part)
	}
	return y
}

// stabilize is Zennit's z + ε·sign(z), with sign(0) = 1.
func stabilize(z *graph.Node, eps float64) *graph.Node {
	neg := graph.LessThan(z, graph.ZerosLike(z))
	return graph.Add(z, graph.Where(neg, graph.MulScalar(graph.OnesLike(z), -eps), graph.MulScalar(graph.OnesLike(z), eps)))
}

// safeRatio is a / b, 0 where b is 0.
func safeRatio(a, b *graph.Node) *graph.Node {
	zero := graph.Equal(b, graph.ZerosLike(b))
	return graph.Where(zero, graph.ZerosLike(a), graph.Div(a, graph.Where(zero, graph.OnesLike(b), b)))
}

// linear applies the composite's rule to a convolution or dense layer.
func (b *lrpBuild) linear(n layers.Node, x, pre, out *graph.Node) *graph.Node {
	rule := b.plan.composite.Conv
	if n.Kind == layers.Dense {
		rule = b.plan.composite.Dense
	}
	first := n.Name == b.plan.first
	if first {
		rule = *b.plan.composite.First
	}
	g := x.Graph()
	w, bias := variableNode(b.ctx, g, n.Name, layers.VarWeights), variableNode(b.ctx, g, n.Name, layers.VarBiases)
	carrier := out // the value whose relevance the rule shares: after the merged batch norm
	if bn, ok := b.plan.mergedBN[n.Name]; ok {
		s, shift := batchNormAffine(b.ctx, g, bn)
		w, bias = graph.Mul(w, alongLastAxis(s, w)), graph.Add(graph.Mul(bias, s), shift)
		carrier = graph.Add(graph.Mul(pre, alongLastAxis(s, pre)), alongLastAxis(shift, pre))
	}
	lin := func(weights, input *graph.Node) *graph.Node {
		y, err := b.model.LinearWith(n.Layer, input, weights)
		if err != nil {
			panic(err)
		}
		return y
	}
	addBias := func(y, bias *graph.Node) *graph.Node { return graph.Add(y, alongLastAxis(bias, y)) }
	ri := ruleInputs{x: x, w: w, bias: bias, lin: lin, addBias: addBias, carrier: carrier}
	if rule.Name == RuleZBox {
		if !first {
			panic(fmt.Errorf("LRP: rule %s applies only to the first layer (layer %q is not)", rule.Name, n.Name))
		}
		ri.low, ri.high = b.bound(rule.Low, x), b.bound(rule.High, x)
	}
	terms, err := ruleTerms(rule, ri)
	if err != nil {
		panic(fmt.Errorf("LRP at layer %q: %w", n.Name, err))
	}
	if first { // route to the probe: z_t(m_t(x) ⊙ probe), whose gradient is the relevance itself
		for i := range terms {
			terms[i].z = lin(terms[i].weights, graph.Mul(terms[i].input, b.probe))
		}
	} else {
		for i, t := range terms {
			if !t.proportional {
				panic(fmt.Errorf("LRP: rule %s applies only to the first layer (layer %q is not)", rule.Name, n.Name))
			}
			terms[i].z = lin(t.weights, t.input)
		}
	}
	parts := make([]lrpTerm, len(terms))
	for i, t := range terms {
		parts[i] = lrpTerm{coef: t.coef, z: t.z, factor: t.factor}
	}
	return relevant(out, parts)
}

// bound is a z^B bound in raw pixel units as the first layer sees it, after the model's
// normalisation, shaped like x.
func (b *lrpBuild) bound(v float64, x *graph.Node) *graph.Node {
	s := b.model.Spec
	vals := make([]float64, s.Chans)
	for c := range vals {
		mean, std := s.Normalization(c)
		vals[c] = (v - mean) / std
	}
	return graph.Add(graph.ZerosLike(x), perChannel(x, vals))
}
