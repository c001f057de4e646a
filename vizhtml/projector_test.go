package vizhtml

import (
	"strings"
	"testing"

	"github.com/convlens/convlens/internal/browser"
	"github.com/convlens/convlens/nd"
)

// Hovering a point of the projector shows its image and its caption, with the caption and
// the class name escaped; a wrong prediction is a triangle.
func TestProjectorShowsTheImageOnHover(t *testing.T) {
	pts := nd.Array{Shape: []int{3, 2}, Data: []float32{0, 0, 1, 1, 2, 0}}
	img, err := ImagePNG(nd.New(4, 4, 1), Range{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	f, err := ProjectorScatter("p", "sub", "", "", pts, []int{0, 1, 1}, []bool{false, true, false}, [][]byte{img, img, img},
		[]string{"#0 <b>bold</b>", "#1", "#2"}, []string{"<i>zero</i>", "one"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.HTML, `"symbol":"triangle"`) {
		t.Error("the wrong prediction is not a triangle")
	}
	browser.Require(t)
	s := openFragment(t, f)
	tip, err := browser.Eval[string](s, `(function(){var el=document.querySelector(".cl-chart");var c=echarts.getInstanceByDom(el);`+
		`c.dispatchAction({type:"showTip",seriesIndex:0,dataIndex:0});`+
		`var t=[].slice.call(el.querySelectorAll("div")).filter(function(d){return d.innerHTML.indexOf("data:image/png")>=0;});`+
		`return t.length?t[t.length-1].innerHTML:"";})()`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<img src=\"data:image/png", "#0 &lt;b&gt;bold&lt;/b&gt;", "&lt;i&gt;zero&lt;/i&gt;"} {
		if !strings.Contains(tip, want) {
			t.Errorf("tooltip lacks %q: %s", want, tip)
		}
	}
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("script errors: %v", errs)
	}
}
