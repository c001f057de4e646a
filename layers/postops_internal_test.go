package layers

import "testing"

// The presets' pointwise chains stay far below maxPostOpChain, so real networks build as
// before (no extra stored values); a generated 40-step chain goes over it.
func TestPointwiseChainLengths(t *testing.T) {
	longest := func(s *Spec) int {
		topo, err := s.Topology()
		if err != nil {
			t.Fatal(err)
		}
		chain, most := map[string]int{}, 0
		for _, n := range topo.Nodes {
			most = max(most, postOpChain(n, chain))
		}
		return most
	}
	for _, s := range []*Spec{LeNet(), TinyVGG(64, 64, 3, 10), ResNet(32, 32, 3, 2)} {
		if n := longest(s); n == 0 || n > 4 {
			t.Errorf("%s: longest pointwise chain %d, want 1–4", s.Name, n)
		}
	}
	s := NewSpec("chain", 6, 6, 1, 2).Conv("conv", 2, 3)
	for i := 0; i < 20; i++ {
		s.AddLayer("r"+string(rune('a'+i)), nil, func(l *Layer) { l.Kind, l.Activation = Activate, ReLU })
	}
	s.Flatten("f").Dense("logits", 2)
	if n := longest(s); n != 20 || n < maxPostOpChain {
		t.Errorf("a 20-activation chain measures %d", n)
	}
}
