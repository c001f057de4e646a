package explain

import (
	"fmt"
	"strings"

	"github.com/convlens/convlens/layers"
)

// MethodNames lists the names MethodByName accepts.
var MethodNames = []string{"saliency", "gradxinput", "smoothgrad", "ig", "gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "eigencam", "scorecam", "ablationcam", "fullgrad", "occlusion", "lrp"}

// byNameOnly are the methods "all" leaves out for their cost: ScoreCAM runs one forward pass
// per channel of its layer for every image (2,048 for ResNet-50's last block), and so does
// AblationCAM. LRP needs a rule for every layer of the model: MethodsFor adds it to "all"
// where it has one.
var byNameOnly = map[string]bool{"scorecam": true, "ablationcam": true, "lrp": true}

// MethodByName returns a method with default settings; layer is used by CAM methods.
func MethodByName(name, layer string) (Method, error) {
	switch strings.ToLower(name) {
	case "saliency":
		return Saliency{}, nil
	case "gradxinput", "gradient×input", "gradientxinput":
		return GradientXInput{}, nil
	case "smoothgrad":
		return SmoothGrad{Base: Saliency{}}, nil
	case "ig", "integratedgradients", "integrated-gradients":
		return IntegratedGradients{}, nil
	case "gradcam", "grad-cam":
		return GradCAM{Layer: layer}, nil
	case "gradcam++", "grad-cam++", "gradcampp":
		return GradCAMPlusPlus{Layer: layer}, nil
	case "hirescam":
		return HiResCAM{Layer: layer}, nil
	case "xgradcam", "xgrad-cam":
		return XGradCAM{Layer: layer}, nil
	case "layercam":
		return LayerCAM{Layer: layer}, nil
	case "eigencam", "eigen-cam":
		return EigenCAM{Layer: layer}, nil
	case "scorecam", "score-cam":
		return ScoreCAM{Layer: layer}, nil
	case "ablationcam", "ablation-cam":
		return AblationCAM{Layer: layer}, nil
	case "fullgrad":
		return FullGrad{}, nil
	case "occlusion":
		return Occlusion{}, nil
	case "lrp":
		return LRP{}, nil
	}
	if c, ok := strings.CutPrefix(strings.ToLower(name), "lrp-"); ok {
		comp, err := CompositeByName(c)
		if err != nil {
			return nil, err
		}
		return LRP{Composite: comp}, nil
	}
	return nil, fmt.Errorf("unknown method %q (known: %s, lrp-COMPOSITE, all)", name, strings.Join(MethodNames, ", "))
}

// Methods parses a comma-separated list of method names ("all" for every method but the
// costly ones of byNameOnly, which are asked for by name).
func Methods(list, layer string) ([]Method, error) {
	if list == "all" {
		var names []string
		for _, n := range MethodNames {
			if !byNameOnly[n] {
				names = append(names, n)
			}
		}
		list = strings.Join(names, ",")
	}
	var out []Method
	for _, name := range strings.Split(list, ",") {
		m, err := MethodByName(strings.TrimSpace(name), layer)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// MethodsFor is Methods for a model: "all" also has LRP where every layer has a rule.
func MethodsFor(s *layers.Spec, list, layer string) ([]Method, error) {
	out, err := Methods(list, layer)
	if err == nil && list == "all" && lrpApplies(s) {
		out = append(out, LRP{})
	}
	return out, err
}

// lrpApplies reports whether every layer of the model has a relevance rule.
func lrpApplies(s *layers.Spec) bool {
	_, err := lrpPlanFor(s, EpsilonPlusFlat())
	return err == nil
}

// LastConvLayer returns the name of the model's last conv layer, the usual Grad-CAM layer.
func LastConvLayer(s *layers.Spec) string {
	if convs := s.ConvLayers(); len(convs) > 0 {
		return convs[len(convs)-1]
	}
	return ""
}

// Check validates methods against the explainer's model before any work: every CAM layer
// (also inside SmoothGrad) must be a spatial tap, and Grad-CAM++ refuses a pre-activation
// tap. One place resolves layer names for every method.
func (ex *Explainer) Check(methods ...Method) error {
	for _, m := range methods {
		switch c := m.(type) {
		case GradCAMPlusPlus:
			if err := c.checkLayer(ex); err != nil {
				return err
			}
		case camMethod:
			if _, err := ex.checkSpatialLayer(c.camLayer()); err != nil {
				return fmt.Errorf("%s: %w", c.Name(), err)
			}
		case LRP:
			if _, err := lrpPlanFor(ex.Model.Spec, c.composite()); err != nil {
				return fmt.Errorf("%s: %w", c.Name(), err)
			}
		case SmoothGrad:
			if c.Base != nil {
				if err := ex.Check(c.Base); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// camMethod is a method that explains from a layer's outputs: every CAM variant.
type camMethod interface {
	Method
	camLayer() string
}

// CAMLayer is the layer a CAM method explains from ("" for other methods).
func CAMLayer(m Method) string {
	if c, ok := m.(camMethod); ok {
		return c.camLayer()
	}
	return ""
}

// AutoCandidates are the methods "-method auto" compares: every method of "all", the CAM
// methods each at the default layer and at the model's last two resolutions' outputs.
func AutoCandidates(s *layers.Spec) ([]Method, error) {
	var camLayers []string
	seen := map[string]bool{}
	add := func(name string) {
		if l, err := ResolveLayer(s, name); err == nil && !seen[l] {
			seen[l] = true
			camLayers = append(camLayers, l)
		}
	}
	add("")
	stages := s.StageOutputs()
	for i := len(stages) - 1; i >= 0 && i >= len(stages)-2; i-- {
		add(stages[i])
	}
	var out []Method
	if lrpApplies(s) {
		out = append(out, LRP{})
	}
	for _, name := range MethodNames {
		if byNameOnly[name] {
			continue
		}
		m, err := MethodByName(name, "")
		if err != nil {
			return nil, err
		}
		if _, cam := m.(camMethod); !cam {
			out = append(out, m)
			continue
		}
		for _, l := range camLayers {
			m, err := MethodByName(name, l)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
	}
	return out, nil
}
