package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// render writes the two panels side by side as one SVG: throughput by
// message size (log-log), and latency by percentile (log y), anchors
// dashed.
func render(w io.Writer, r results, title string) error {
	thr, err := throughputPlot(r.thr)
	if err != nil {
		return err
	}
	lat, err := latencyPlot(r.lat)
	if err != nil {
		return err
	}
	const width, height = 11 * vg.Inch, 4.5 * vg.Inch
	c := vgsvg.NewWith(vgsvg.UseWH(width, height), vgsvg.EmbedFonts(false))
	dc := draw.New(c)
	if title != "" {
		dc = titled(dc, title)
	}
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Centimeter, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2,
		PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	plots := [][]*plot.Plot{{thr, lat}}
	canvases := plot.Align(plots, tiles, dc)
	thr.Draw(canvases[0][0])
	lat.Draw(canvases[0][1])
	_, err = c.WriteTo(w)
	return err
}

// titled draws a title at the top of dc and returns the rest of it.
func titled(dc draw.Canvas, title string) draw.Canvas {
	sty := draw.TextStyle{Color: color.Black, Font: plot.DefaultFont, Handler: plot.DefaultTextHandler,
		XAlign: draw.XCenter, YAlign: draw.YTop}
	sty.Font.Size = vg.Points(14)
	top := vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Millimeter}
	dc.FillText(sty, top, title)
	dc.Max.Y -= sty.Height(title) + 2*vg.Millimeter
	return dc
}

// toolColors keeps each tool's color the same in both panels.
var toolColors = map[string]int{"libzmq": 0, "redis": 1, "zmesh": 2}

// style returns the color and dashes of a series: one color per tool (the
// series' first word), the anchors (every tool but zmesh) dashed.
func style(i int, name string) (color.Color, []vg.Length) {
	tool, _, _ := strings.Cut(name, " ")
	var dashes []vg.Length
	if tool != "zmesh" {
		dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	}
	c, ok := toolColors[tool]
	if !ok {
		c = 3 + i
	}
	return plotutil.Color(c), dashes
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func throughputPlot(series map[string][]point) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Throughput by message size"
	p.X.Label.Text = "message size (bytes)"
	p.Y.Label.Text = "messages per second"
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, sizeTicks{}
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Legend.Left = false
	if len(series) == 0 {
		p.Title.Text += " (no data)"
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 1, 1e6, 1, 1e7
		return p, nil
	}
	for i, name := range sortedKeys(series) {
		pts := slices.Clone(series[name])
		slices.SortFunc(pts, func(a, b point) int { return int(math.Copysign(1, a.size-b.size)) })
		xys := make(plotter.XYs, len(pts))
		for j, pt := range pts {
			xys[j] = plotter.XY{X: pt.size, Y: pt.msgPerSec}
		}
		line, marks, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("series %s: %w", name, err)
		}
		clr, dashes := style(i, name)
		line.Color, line.Dashes, line.Width = clr, dashes, vg.Points(1.5)
		marks.Color, marks.Shape = clr, plotutil.Shape(i)
		p.Add(line, marks)
		p.Legend.Add(name, line, marks)
	}
	return p, nil
}

// sizeTicks marks powers of 4 in bytes: 16 B, 64 B, 256 B, 1 KiB...
type sizeTicks struct{}

func (sizeTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for v := 1.0; v <= max*1.0001; v *= 4 {
		if v >= min/1.0001 {
			ticks = append(ticks, plot.Tick{Value: v, Label: sizeText(v)})
		}
	}
	return ticks
}

func latencyPlot(series map[string]*latency) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Round-trip latency distribution"
	p.X.Label.Text = "percentile (a mean alone: a flat line)"
	p.Y.Label.Text = "round trip (µs)"
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Legend.Left = true
	p.NominalX(percentileOrder...)
	p.X.Min, p.X.Max = -0.2, float64(len(percentileOrder)-1)+0.2
	if len(series) == 0 {
		p.Title.Text += " (no data)"
		p.Y.Min, p.Y.Max = 1, 1000
		return p, nil
	}
	for i, name := range sortedKeys(series) {
		l := series[name]
		clr, dashes := style(i, name)
		var xys plotter.XYs
		for j, pc := range percentileOrder {
			if us, ok := l.percentiles[pc]; ok && us > 0 {
				xys = append(xys, plotter.XY{X: float64(j), Y: us})
			}
		}
		if len(xys) > 0 {
			line, marks, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, fmt.Errorf("series %s: %w", name, err)
			}
			line.Color, line.Dashes, line.Width = clr, dashes, vg.Points(1.5)
			marks.Color, marks.Shape = clr, plotutil.Shape(i)
			p.Add(line, marks)
			p.Legend.Add(name, line, marks)
		}
		if l.mean > 0 {
			mean, err := plotter.NewLine(plotter.XYs{{X: 0, Y: l.mean}, {X: float64(len(percentileOrder) - 1), Y: l.mean}})
			if err != nil {
				return nil, fmt.Errorf("series %s: %w", name, err)
			}
			mean.Color, mean.Width = clr, vg.Points(1)
			mean.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
			p.Add(mean)
			p.Legend.Add(name+" (mean)", mean)
		}
	}
	return p, nil
}
