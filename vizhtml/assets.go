package vizhtml

import (
	_ "embed"
	"strings"
)

// EChartsVersion is the version of the embedded ECharts library (npm echarts, Apache-2.0;
// its licence and notice are in assets/).
const EChartsVersion = "5.6.0"

//go:embed assets/echarts.min.js
var echartsJS string

// LibraryHTML returns the ECharts library as inline <script> tags, written once per page
// or notebook. It loads only if window.echarts is not yet defined, and hides RequireJS's
// window.define while it runs so the bundle sets window.echarts instead of registering an
// AMD module (classic Jupyter and nbconvert exports load RequireJS).
func LibraryHTML() string {
	var b strings.Builder
	b.Grow(len(echartsJS) + 512)
	b.WriteString(`<script>/* ECharts ` + EChartsVersion + ` (Apache-2.0), embedded by convlens */` +
		`window.__convlensDefine = window.define; if (!window.echarts) { window.define = undefined; }</script>` + "\n")
	b.WriteString("<script>if (!window.echarts) {\n")
	b.WriteString(echartsJS)
	b.WriteString("\n}</script>\n")
	b.WriteString(`<script>if (window.__convlensDefine !== undefined) { window.define = window.__convlensDefine; }</script>` + "\n")
	return b.String()
}
