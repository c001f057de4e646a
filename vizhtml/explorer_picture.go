package vizhtml

import (
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/convlens/convlens/nd"
)

// Explorer picture layout.
const (
	pictureTile     = 40
	pictureGap      = 4
	pictureLabel    = 132 // px for the row's name
	pictureChannels = 8
	pictureRows     = 48
)

// explorerPicture draws the static overview of one image for pages and notebook outputs
// that do not run scripts: one row per spatial value (the input, then each layer with an
// [H, W, C] output), its first channels as viridis tiles on the row's own scale.
func explorerPicture(m ExplorerModel, img ExplorerImage) ([]byte, error) {
	type row struct {
		name  string
		shape []int
	}
	rows := []row{{ExplorerInput, m.Input}}
	for _, l := range m.Layers {
		if len(l.Shape) == 3 && len(rows) < pictureRows {
			rows = append(rows, row{l.Name, l.Shape})
		}
	}
	width := pictureLabel + pictureChannels*(pictureTile+pictureGap)
	out := image.NewRGBA(image.Rect(0, 0, width, len(rows)*(pictureTile+pictureGap)+pictureGap))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	face := &font.Drawer{Dst: out, Src: image.NewUniform(color.RGBA{60, 60, 60, 255}), Face: basicfont.Face7x13}
	for i, rw := range rows {
		name := rw.name
		v := img.Values[name] // checked against the layer's shape by explorerImage
		if len(v.Data) != prodInts(rw.shape) {
			continue
		}
		row := i
		top := pictureGap + row*(pictureTile+pictureGap)
		label := []rune(name)
		if len(label) > 18 {
			label = append(label[:16], '.', '.')
		}
		face.Dot = fixed.P(4, top+pictureTile/2+4)
		face.DrawString(string(label))
		h, w, c := rw.shape[0], rw.shape[1], rw.shape[2]
		r := RangeOf(v.Data, false)
		for ch := 0; ch < min(c, pictureChannels); ch++ {
			left := pictureLabel + ch*(pictureTile+pictureGap)
			drawTile(out, v, ch, r, h, w, c, image.Rect(left, top, left+pictureTile, top+pictureTile))
		}
	}
	return encodePNG(out)
}

// drawTile paints channel ch of v [h, w, c] into rect, nearest neighbour.
func drawTile(out *image.RGBA, v nd.Array, ch int, r Range, h, w, c int, rect image.Rectangle) {
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		sy := (y - rect.Min.Y) * h / rect.Dy()
		for x := rect.Min.X; x < rect.Max.X; x++ {
			sx := (x - rect.Min.X) * w / rect.Dx()
			cr, cg, cb := Viridis.RGB(r.norm(float64(v.Data[(sy*w+sx)*c+ch])))
			out.SetRGBA(x, y, color.RGBA{cr, cg, cb, 255})
		}
	}
}
