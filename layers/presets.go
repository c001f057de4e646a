package layers

import (
	"fmt"
	"sort"
)

// LeNet is a LeNet-5 style network for 28×28×1 images and 10 classes:
// conv 6@5×5 same, pool 2, conv 16@5×5, pool 2, dense 120, 84, 10 (ReLU).
func LeNet() *Spec {
	return NewSpec("lenet", 28, 28, 1, 10).
		Conv("conv1", 6, 5, WithPadding(Same), WithActivation(ReLU)).
		MaxPool("pool1", 2).
		Conv("conv2", 16, 5, WithActivation(ReLU)).
		MaxPool("pool2", 2).
		Flatten("flatten").
		Dense("fc1", 120, WithActivation(ReLU)).
		Dense("fc2", 84, WithActivation(ReLU)).
		Dense("logits", 10)
}

// TinyVGG is CNN Explainer's TinyVGG for h×w×c images (RGB by default): two blocks of
// conv-relu-conv-relu-maxpool with 10 filters of 3×3 each, then a dense classifier.
func TinyVGG(h, w, c, classes int) *Spec {
	return NewSpec("tinyvgg", h, w, c, classes).
		Conv("conv_1_1", 10, 3, WithActivation(ReLU)).
		Conv("conv_1_2", 10, 3, WithActivation(ReLU)).
		MaxPool("max_pool_1", 2).
		Conv("conv_2_1", 10, 3, WithActivation(ReLU)).
		Conv("conv_2_2", 10, 3, WithActivation(ReLU)).
		MaxPool("max_pool_2", 2).
		Flatten("flatten").
		Dense("output", classes)
}

// ResNet is a small residual network for h×w×c images: a 16-channel stem, one residual
// block at full resolution and two downsampling blocks (32 and 64 channels, stride 2 with
// 1×1 projection shortcuts), each conv followed by batch norm, then global average pooling
// and the logits. About 78k parameters; it trains in minutes on 32×32×3 on two CPU cores.
func ResNet(h, w, c, classes int) *Spec {
	s := NewSpec("resnet", h, w, c, classes).
		Conv("stem", 16, 3, WithPadding(Same)).
		BatchNorm("stem_bn").
		Act("stem_relu", ReLU)
	s.residualBlock("block1", "stem_relu", 16, 16, 1)
	s.residualBlock("block2", "block1", 16, 32, 2)
	s.residualBlock("block3", "block2", 32, 64, 2)
	return s.GlobalAvgPool("gap").Dense("logits", classes)
}

// residualBlock adds conv-bn-relu-conv-bn plus a shortcut (a 1×1 conv and batch norm when the
// stride or width changes), summed and rectified in a layer named name.
func (s *Spec) residualBlock(name, from string, inFilters, filters, stride int) {
	s.Conv(name+"_conv1", filters, 3, From(from), WithStride(stride), WithPadding(Same)).
		BatchNorm(name+"_bn1").
		Act(name+"_relu1", ReLU).
		Conv(name+"_conv2", filters, 3, WithPadding(Same)).
		BatchNorm(name + "_bn2")
	shortcut := from
	if stride != 1 || inFilters != filters {
		s.Conv(name+"_proj", filters, 1, From(from), WithStride(stride)).BatchNorm(name + "_proj_bn")
		shortcut = name + "_proj_bn"
	}
	s.Add(name, []string{name + "_bn2", shortcut}, WithActivation(ReLU))
}

var presets = map[string]func(h, w, c, classes int) *Spec{
	"lenet": func(h, w, c, classes int) *Spec {
		s := LeNet()
		s.Height, s.Width, s.Chans, s.Classes = h, w, c, classes
		s.Layers[len(s.Layers)-1].Units = classes
		return s
	},
	"tinyvgg": TinyVGG,
	"resnet":  ResNet,
}

// PresetNames lists the names Preset accepts.
func PresetNames() []string {
	var names []string
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns a named preset adapted to the given input shape and class count.
func Preset(name string, h, w, c, classes int) (*Spec, error) {
	f, ok := presets[name]
	if !ok {
		return nil, fmt.Errorf("unknown model %q (known: %v)", name, PresetNames())
	}
	s := f(h, w, c, classes)
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}
