package main

import (
	"testing"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/layers"
)

// The randomisation test's estimate counts ScoreCAM's forward pass per channel, so the
// automatic choice does not start hours of work for it.
func TestSanityEstimateCountsScoreCAMsPasses(t *testing.T) {
	s := layers.ResNet(32, 32, 3, 2)
	layer := explain.LastConvLayer(s)
	grad := sanitySeconds(s, []explain.Method{explain.GradCAM{Layer: layer}}, 4)
	score := sanitySeconds(s, []explain.Method{explain.ScoreCAM{Layer: layer}}, 4)
	channels := layerChannels(s, layer)
	if channels < 16 || score < grad*float64(channels)/3*0.99 {
		t.Errorf("ScoreCAM over %d channels estimated at %.3g s, Grad-CAM at %.3g s", channels, score, grad)
	}
	if lenet := layers.LeNet(); layerChannels(lenet, "conv2"+layers.PreSuffix) != 16 || layerChannels(s, "nope") != 0 {
		t.Error("channels of a pre-activation or of an unknown layer")
	}
}
