package report

import "html"

func htmlEsc(s string) string { return html.EscapeString(s) }
