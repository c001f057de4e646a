package notebooks

import (
	"fmt"
	"math"
)

// claims: one check per claim the notebooks' text makes (see claims_test.go), by id.
var claims = map[string]func(c *claimed) error{
	// 01: "Sigmoid's slope is at most 0.25 and both it and Tanh's fall to almost zero beyond ±3".
	"sigmoid-slope-vanishes": func(c *claimed) error {
		sig := seriesOf(c.html, "Their slopes (derivatives)", "Sigmoid")
		tanh := seriesOf(c.html, "Their slopes (derivatives)", "Tanh")
		if len(sig) < 100 || len(tanh) < 100 {
			return fmt.Errorf("the slope chart has %d and %d points", len(sig), len(tanh))
		}
		for _, p := range sig {
			if p[1] > 0.2501 {
				return fmt.Errorf("Sigmoid's slope is %.4f at %v", p[1], p[0])
			}
		}
		for _, s := range [][][2]float64{sig, tanh} {
			for _, p := range s {
				if math.Abs(p[0]) >= 3 && p[1] > 0.05 {
					return fmt.Errorf("slope %.3f at %v, beyond ±3", p[1], p[0])
				}
			}
		}
		return nil
	},
	// 01: "ReLU passes gradients unchanged wherever it is active (slope 1 for x > 0, 0 below);
	// LeakyReLU keeps a slope of 0.1 below zero", both visible.
	"relu-slope-one": func(c *claimed) error {
		relu := seriesOf(c.html, "Their slopes (derivatives)", "ReLU")
		leaky := seriesOf(c.html, "Their slopes (derivatives)", "LeakyReLU(0.1)")
		for _, s := range []struct {
			pts   [][2]float64
			below float64
			name  string
		}{{relu, 0, "ReLU"}, {leaky, 0.1, "LeakyReLU"}} {
			if len(s.pts) < 100 {
				return fmt.Errorf("%s's slope has %d points", s.name, len(s.pts))
			}
			for _, p := range s.pts {
				want := 1.0
				if p[0] < -0.06 {
					want = s.below
				} else if p[0] < 0.06 {
					continue // the central difference straddles the kink
				}
				if math.Abs(p[1]-want) > 1e-3 {
					return fmt.Errorf("%s's slope at %v is %v, want %v", s.name, p[0], p[1], want)
				}
			}
		}
		if styleOf(c.html, "Their slopes (derivatives)", "LeakyReLU(0.1)") != "dashed" {
			return fmt.Errorf("LeakyReLU's slope is not dashed: it hides ReLU's")
		}
		return nil
	},
	// 01: "The convolutions do most of the arithmetic; the dense layer holds most of the parameters."
	"conv-arithmetic-dense-parameters": fails([]string{"shapes-conv-flops-share", "shapes-dense-params-share"},
		func(v []float64) bool { return v[0] <= 0.5 || v[1] <= 0.5 },
		"convolutions' share of FLOPs %.2f, dense layer's share of parameters %.2f"),
	// 02: both models keep most parameters in dense layers and most arithmetic in
	// convolutions; TinyVGG "more strongly" (a larger share of its arithmetic).
	"lenet-tinyvgg-same-pattern": fails([]string{"lenet-conv-flops-share", "lenet-dense-params-share", "tinyvgg-conv-flops-share", "tinyvgg-dense-params-share"},
		func(v []float64) bool {
			return v[0] <= 0.5 || v[1] <= 0.5 || v[2] <= 0.5 || v[3] <= 0.5 || v[2] < v[0] || v[2] < 0.9
		},
		"LeNet: conv FLOPs %.2f, dense params %.2f; TinyVGG: %.2f, %.2f"),
	// 02: "conv1's filters still correlate about 0.98 with their random start, and the
	// difference picture is faint": it moved least of all layers, by under 0.3 of its size.
	"lenet-conv1-barely-moves": func(c *claimed) error {
		corr, err := c.m("lenet-conv1-init-correlation")
		if err != nil {
			return err
		}
		if corr < 0.96 || corr > 0.995 {
			return fmt.Errorf("conv1 correlates %.3f with its start, not about 0.98", corr)
		}
		return leastOrMost(c, "lenet-", "conv1", []string{"conv1", "conv2", "fc1", "fc2", "logits"}, false, 0.3)
	},
	// 02: "The dense layer fc1 moved most."
	"lenet-fc1-moves-most": func(c *claimed) error {
		return leastOrMost(c, "lenet-", "fc1", []string{"conv1", "conv2", "fc1", "fc2", "logits"}, true, 0)
	},
	// 02: "the held-out accuracy follows the training accuracy closely: not overfitting".
	"lenet-not-overfitting": fails([]string{"lenet-train-accuracy", "lenet-heldout-accuracy"},
		func(v []float64) bool { return v[0]-v[1] > 0.02 || v[1] < 0.95 },
		"training accuracy %.3f, held-out %.3f"),
	// 02: "Gradient norms of all layers stay within an order of magnitude of each other".
	"lenet-gradients-within-10x": fails([]string{"lenet-gradient-spread"},
		func(v []float64) bool { return v[0] >= 10 },
		"two layers' gradient norms differ %.1f×"),
	// 04: "The trained filters are mostly their random start".
	"conv1-mostly-random-start": fails([]string{"conv1-init-correlation"},
		func(v []float64) bool { return v[0] < 0.9 },
		"conv1 correlates only %.3f with its start"),
	// 04: "With Sigmoid ... its first layer gets a far smaller share of the gradient than with ReLU".
	"sigmoid-starves-first-layer": fails([]string{"sigmoid-first-to-last-gradient", "relu-first-to-last-gradient"},
		func(v []float64) bool { return v[0] >= v[1]/2 },
		"conv1's share of the gradient: sigmoid %.3f, ReLU %.3f"),
	// 04: "With a learning rate that is too high, the loss jumps and stays high."
	"high-lr-loss-stays-high": fails([]string{"lr-too-high-final-loss", "relu-final-loss"},
		func(v []float64) bool { return v[0] < 5*v[1] },
		"final loss %.3f with the high rate, %.3f with the baseline"),
	// 04: "Even the healthy baseline has dead units, all in the dense layers ... its
	// convolutions lose none."
	"healthy-dead-units-in-dense-only": fails([]string{"relu-dead-share", "relu-dead-conv-channels"},
		func(v []float64) bool { return v[0] <= 0 || v[0] >= 0.3 || v[1] != 0 },
		"baseline: dead share %.2f, dead convolution channels %.0f"),
	// 04: "With the learning rate too high, most units die, in the convolutions as well."
	"high-lr-kills-units": fails([]string{"lr-too-high-dead-share", "lr-too-high-dead-conv-channels"},
		func(v []float64) bool { return v[0] <= 0.5 || v[1] == 0 },
		"high rate: dead share %.2f, dead convolution channels %.0f"),
	// 05: "Saliency, Grad-CAM and Grad-CAM++ pass. Gradient × input, integrated gradients and
	// occlusion are flagged ... SmoothGrad is flagged too".
	"model-randomisation-verdicts": func(c *claimed) error {
		return verdicts(c, "model-randomisation ", []string{"saliency", "grad-cam", "grad-cam++"},
			[]string{"gradient×input", "integrated gradients", "occlusion", "smoothgrad(saliency)"})
	},
	// 05: "Saliency and Grad-CAM give different maps on the two models; gradient × input,
	// integrated gradients and occlusion give nearly the same maps (similarity above 0.5)".
	"data-randomisation-verdicts": func(c *claimed) error {
		return verdicts(c, "data-randomisation ", []string{"saliency", "grad-cam"},
			[]string{"gradient×input", "integrated gradients", "occlusion"})
	},
	// 05: "Occlusion ranks first, and it beats both baselines on all three scores".
	"faithfulness-occlusion-first": fails([]string{"faithfulness-best-informative occlusion"},
		func(v []float64) bool { return v[0] != 1 },
		"occlusion ranks first but is informative: %.0f"),
	// 05: "The image's edges beat every CAM map at conv2 on every score".
	"faithfulness-edges-beat-cams": fails([]string{"faithfulness-edges-beat-cams"},
		func(v []float64) bool { return v[0] != 1 },
		"the edges beat the CAMs in only %.2f of (method, score) pairs"),
	// 05: "Gradient × input and integrated gradients ... delete better than both baselines".
	"faithfulness-flagged-methods-delete-well": fails([]string{"faithfulness-deletion-margin gradient×input",
		"faithfulness-deletion-margin integrated gradients"},
		func(v []float64) bool { return v[0] <= 0 || v[1] <= 0 },
		"deletion margins over the better baseline %.3f, %.3f"),
	// 09: "A conv2 value sees at most 14×14 of the 28×28 pixels".
	"channel-field-at-most-14": fails([]string{"channel-field-side"},
		func(v []float64) bool { return v[0] > 14 || v[0] < 1 },
		"the largest crop is %.0f pixels on a side"),
	// 09: "at most a quarter of the channels" have six digits of one class.
	"channels-mostly-mixed": fails([]string{"channels-one-class"},
		func(v []float64) bool { return v[0] > 0.25 },
		"%.2f of the channels have six digits of one class"),
	// 09: the plane's same-class share "differs by less than 0.03" from fc2's; its recall
	// keeps "fewer than six in ten" of the exact neighbours.
	"projector-keeps-classes": fails([]string{"projector-same-class-space", "projector-same-class-plane", "projector-recall"},
		func(v []float64) bool { return math.Abs(v[0]-v[1]) >= 0.03 || v[2] >= 0.6 },
		"same class %.3f in fc2, %.3f on the plane; recall %.2f"),
	// 09: around a mistake "fewer than half" share its class; "more than nine in ten" around a right answer.
	"projector-mistakes-among-others": fails([]string{"projector-same-class-wrong", "projector-same-class-right"},
		func(v []float64) bool { return v[0] >= 0.5 || v[1] <= 0.9 },
		"same class %.3f around mistakes, %.3f around right answers"),
	// 09: block1's crops are 7×7; block3's "most of the 32×32 photo" (over half its side).
	"resnet-fields-grow": fails([]string{"resnet-field-block1", "resnet-field-block3"},
		func(v []float64) bool { return v[0] != 7 || v[1] <= 16 },
		"crops up to %.0f (block1) and %.0f (block3) pixels"),
	// 09: block3's relative cat–dog gap "at least twice" block1's.
	"resnet-later-channels-split-classes": fails([]string{"resnet-class-gap-block1", "resnet-class-gap-block3"},
		func(v []float64) bool { return v[1] < 2*v[0] },
		"relative class gap %.3f (block1), %.3f (block3)"),
	// 09: a photo's ten nearest in gap are of its class "less than seven times in ten".
	"resnet-classes-overlap": fails([]string{"resnet-same-class-space"},
		func(v []float64) bool { return v[0] >= 0.7 },
		"same class among the ten nearest: %.3f"),
	// 09: the stem's CKA with the start "above 0.98", gap's "below 0.3".
	"resnet-stem-stays-gap-changes": fails([]string{"resnet-cka-stem", "resnet-cka-gap"},
		func(v []float64) bool { return v[0] <= 0.98 || v[1] >= 0.3 },
		"CKA with the start %.3f (stem), %.3f (gap)"),
	// 09: "more than five times as many digits turned right as turned wrong".
	"diff-more-right": fails([]string{"diff-wrong-to-right", "diff-right-to-wrong"},
		func(v []float64) bool { return v[0] <= 5*v[1] },
		"%.0f turned right, %.0f wrong"),
	// 09: conv1's outputs: "linear CKA above 0.99"; the logits "below 0.9".
	"diff-cka-falls": fails([]string{"diff-cka-conv1", "diff-cka-logits"},
		func(v []float64) bool { return v[0] <= 0.99 || v[1] >= 0.9 },
		"CKA %.3f at conv1, %.3f at the logits"),
	// 09: conv1's weights "moved least of all the layers".
	"diff-conv1-moved-least": func(c *claimed) error {
		return leastOrMost(c, "diff-", "conv1", []string{"conv2", "fc1", "fc2", "logits"}, false, 0)
	},
	// 05: Grad-CAM at conv1 leaves "a blank map — for many of 100 test digits".
	"gradcam-conv1-often-blank": fails([]string{"gradcam-blank-conv1"},
		func(v []float64) bool { return v[0] < 10 },
		"only %.0f of 100 maps at conv1 are blank"),
	// 05: "At conv2 (10×10) the map is coarser but never blank".
	"gradcam-conv2-not-blank": fails([]string{"gradcam-blank-conv2"},
		func(v []float64) bool { return v[0] != 0 },
		"%.0f of 100 maps at conv2 are blank"),
	// 05: integrated gradients add up to the logit difference "within 5 % with 32 steps".
	"ig-completeness": fails([]string{"ig-completeness-error"},
		func(v []float64) bool { return v[0] > 0.05 },
		"the maps' sums miss the logit difference by up to %.3f"),
	// 06: "conv1 at the end still correlates above 0.95 with its random start".
	"timelapse-conv1-stays": func(c *claimed) error {
		v, step, err := c.last("conv1-correlation-at-")
		if err != nil {
			return err
		}
		if step < 1000 || v <= 0.95 {
			return fmt.Errorf("conv1 at step %d correlates %.3f with step 0", step, v)
		}
		return nil
	},
	// 06: "the share of its mass on ink pixels stays close to the share of the image that is
	// ink, at step 0 and at the end".
	"gradcam-not-on-ink": fails([]string{"ink-share", "gradcam-on-ink-start", "gradcam-on-ink-end"},
		func(v []float64) bool { return math.Abs(v[1]-v[0]) > 0.08 || math.Abs(v[2]-v[0]) > 0.08 },
		"ink is %.3f of the pixels; Grad-CAM's mass on ink %.3f at the start, %.3f at the end"),
	// 06: "above 90 % held-out by step 200, the rest is refinement".
	"accuracy-early": func(c *claimed) error {
		at200, err := c.m("accuracy-at-200")
		if err != nil {
			return err
		}
		end, step, err := c.last("accuracy-at-")
		if err != nil {
			return err
		}
		if at200 <= 0.9 || end < at200 {
			return fmt.Errorf("held-out accuracy %.3f at step 200, %.3f at step %d", at200, end, step)
		}
		return nil
	},
	// 08: the imported model's logits differ "at most at the level of float32 rounding (below
	// 10⁻⁴ ...) and they predict the same class for every image".
	"onnx-same-numbers": fails([]string{"onnx-logit-difference", "onnx-same-predictions"},
		func(v []float64) bool { return v[0] > 1e-4 || v[1] != 1 },
		"largest logit difference %.3g, same predictions for a share of %.3f"),
	// 03: "most of fc1's [units] are exactly 0".
	"fc1-mostly-zero": fails([]string{"fc1-zero-share"},
		func(v []float64) bool { return v[0] <= 0.5 },
		"only %.2f of fc1's units are 0"),
	// 03: "conv2's maps are sparser: more of their values are zero".
	"conv2-sparser": fails([]string{"conv1-zero-share", "conv2-zero-share"},
		func(v []float64) bool { return v[1] <= v[0] },
		"zeros: conv1 %.2f, conv2 %.2f"),
	// 03: "In the full 84 dimensions, nearly every digit's nearest neighbour is a digit of its
	// own class; in the two-dimensional picture far fewer are".
	"embedding-neighbours": fails([]string{"fc2-same-class-neighbours", "pca-same-class-neighbours"},
		func(v []float64) bool { return v[0] < 0.9 || v[1] > v[0]-0.15 },
		"same-class nearest neighbours: %.3f in 84 dimensions, %.3f in two"),
	// 07: "The training accuracy ends far above the test accuracy".
	"resnet-overfits": fails([]string{"resnet-train-accuracy", "resnet-test-accuracy"},
		func(v []float64) bool { return v[0]-v[1] < 0.1 },
		"training accuracy %.3f, test %.3f"),
	// 07: "After ten epochs the stem's filters are still mostly their random start
	// (correlation above 0.9)", measured against the step-0 checkpoint.
	"resnet-stem-barely-moves": fails([]string{"resnet-checkpoint-first-step", "resnet-stem-init-correlation"},
		func(v []float64) bool { return v[0] != 0 || v[1] <= 0.9 },
		"first checkpoint at step %.0f; stem correlation %.3f"),
	// 07: with the higher rate "the stem's filters correlate only about half with their start
	// ... while the test accuracy stays about two in three".
	"fast-stem-learns": fails([]string{"fast-checkpoint-first-step", "fast-stem-init-correlation", "fast-test-accuracy"},
		func(v []float64) bool { return v[0] != 0 || v[1] > 0.65 || v[1] < 0.3 || v[2] < 0.6 || v[2] > 0.78 },
		"first checkpoint at step %.0f; stem correlation %.3f; test accuracy %.3f"),
	// 07: "its branch is larger than the shortcut it is added to, and block1's maps correlate
	// only about half with the stem's".
	"residual-branch-is-not-small": fails([]string{"branch-to-shortcut", "block1-stem-correlation"},
		func(v []float64) bool { return v[0] <= 1 || v[1] < 0.3 || v[1] > 0.7 },
		"branch %.2f the size of the shortcut; block1 vs stem correlation %.2f"),
}

// verdicts checks that the methods in pass have a similarity of at most 0.5 (the flag
// threshold) and those in flagged more.
func verdicts(c *claimed, prefix string, pass, flagged []string) error {
	for _, group := range []struct {
		methods []string
		flagged bool
	}{{pass, false}, {flagged, true}} {
		for _, m := range group.methods {
			v, err := c.m(prefix + m)
			if err != nil {
				return err
			}
			if (v > 0.5) != group.flagged {
				return fmt.Errorf("%s: similarity %.2f, said to be flagged: %v", m, v, group.flagged)
			}
		}
	}
	return nil
}

// fails is a claim's check on measured values: an error (format applied to the values, in
// order) when bad says the measurements contradict the sentence.
func fails(ids []string, bad func(v []float64) bool, format string) func(c *claimed) error {
	return func(c *claimed) error {
		v, err := c.all(ids...)
		if err != nil {
			return err
		}
		if bad(v) {
			args := make([]any, len(v))
			for i, x := range v {
				args[i] = x
			}
			return fmt.Errorf(format, args...)
		}
		return nil
	}
}

// leastOrMost checks that layer's relative change since initialisation is the largest
// (most) or the smallest of layers, and, when below > 0, under below.
func leastOrMost(c *claimed, prefix, layer string, layers []string, most bool, below float64) error {
	mine, err := c.m(prefix + layer + "-relative-change")
	if err != nil {
		return err
	}
	for _, l := range layers {
		v, err := c.m(prefix + l + "-relative-change")
		if err != nil {
			return err
		}
		if (most && v > mine) || (!most && v < mine) {
			return fmt.Errorf("%s moved %.3f of its size, %s %.3f", layer, mine, l, v)
		}
	}
	if below > 0 && mine >= below {
		return fmt.Errorf("%s moved %.3f of its size, not under %.2g", layer, mine, below)
	}
	return nil
}
