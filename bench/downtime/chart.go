package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// chart draws a scenario's runs with a release (plain migrate, zdcd) side by side: every
// query's latency (log scale) against the time it was due, failed queries in red, the release
// shaded, the analytics transaction (outage) as a band, and the 100 ms lock_timeout as a line.
func chart(sc scenario, runs []runData, hold time.Duration) string {
	var panels []runData
	for _, r := range runs {
		if r.result.Mode != modeBaseline {
			panels = append(panels, r)
		}
	}
	const (
		pw, ph      = 460.0, 300.0 // plot area of one panel
		left, top   = 60.0, 50.0
		gap, bottom = 70.0, 60.0
		minLat      = 0.1 // ms
	)
	var tmax, lmax time.Duration
	for _, r := range panels {
		for _, s := range r.samples {
			tmax = max(tmax, s.At+s.Latency)
			lmax = max(lmax, s.Latency)
		}
	}
	// The top of the latency axis: the decade above the slowest query, at least 1 s.
	maxLat := 1000.0
	for maxLat < float64(lmax)/float64(time.Millisecond) {
		maxLat *= 10
	}
	tmaxS := math.Ceil(max(tmax.Seconds(), 1))
	width := left + float64(len(panels))*(pw+gap)
	height := top + ph + bottom
	y := func(latMs float64) float64 {
		latMs = min(max(latMs, minLat), maxLat)
		return top + ph - ph*(math.Log10(latMs)-math.Log10(minLat))/(math.Log10(maxLat)-math.Log10(minLat))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	title := sc.Name + ": " + sc.Title
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="%.1f" font-weight="bold">%s</text>`+"\n", left,
		min(14, (width-left-10)/(0.6*float64(len([]rune(title))))), esc(title))
	for i, r := range panels {
		x0 := left + float64(i)*(pw+gap)
		x := func(t time.Duration) float64 { return x0 + pw*t.Seconds()/tmaxS }
		res := r.result
		label := "python manage.py migrate"
		if res.Mode == modeZdcd {
			label = "zdcd-release release"
		}
		// A long decision (retries, waits) is set smaller to fit its panel: about 0.6 em a character.
		head := label + ": " + res.Decision
		size := min(12, (pw+gap-10)/(0.6*float64(len([]rune(head)))))
		fmt.Fprintf(&b, `<text x="%.0f" y="44" font-weight="bold" font-size="%.1f">%s</text>`+"\n", x0, size, esc(head))
		fmt.Fprintf(&b, `<text x="%.0f" y="60" font-size="11">%d queries, %d failed, p99 %s, max %s, stalled %s</text>`+"\n",
			x0, res.Queries, res.Failed, esc(ms(res.P99)), esc(ms(res.Max)), esc(secs(res.Stalled)))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#888"/>`+"\n", x0, top, pw, ph)
		// The release, shaded; the analytics transaction, a band at the top.
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#fff3c4"/>`+"\n",
			x(res.ReleaseStart), top, max(x(res.ReleaseEnd)-x(res.ReleaseStart), 1), ph)
		if sc.LongTx {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="8" fill="#f4a261"/>`+"\n",
				x(res.LongTxStart), top, x(res.LongTxStart+hold)-x(res.LongTxStart))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="#b35c00">analytics transaction</text>`+"\n", x(res.LongTxStart)+2, top+19)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="#8a6d00">release %s</text>`+"\n",
			x(res.ReleaseStart)+2, top+ph-4, esc(secs(res.ReleaseEnd-res.ReleaseStart)))
		// Axes: log latency, time.
		for t := 1.0; t <= maxLat; t *= 10 {
			yy := y(t)
			label := fmt.Sprintf("%g ms", t)
			if t >= 1000 {
				label = fmt.Sprintf("%g s", t/1000)
			}
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#eee"/>`+"\n", x0, x0+pw, yy, yy)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" font-size="10">%s</text>`+"\n", x0-4, yy+3, label)
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#2a9d8f" stroke-dasharray="4 3"/>`+"\n", x0, x0+pw, y(100), y(100))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="#2a9d8f" text-anchor="end">100 ms (zdcd lock_timeout)</text>`+"\n", x0+pw-2, y(100)-3)
		step := math.Max(1, math.Ceil(tmaxS/10))
		for t := 0.0; t <= tmaxS; t += step {
			xx := x0 + pw*t/tmaxS
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%g</text>`+"\n", xx, top+ph+14, t)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">seconds since the load started (query due time)</text>`+"\n", x0+pw/2, top+ph+32)
		// The queries: one dot each, as one path per colour.
		var ok, bad strings.Builder
		for _, s := range r.samples {
			p := &ok
			if s.Err != "" {
				p = &bad
			}
			fmt.Fprintf(p, "M%.1f %.1fh0", x(s.At), y(float64(s.Latency)/float64(time.Millisecond)))
		}
		fmt.Fprintf(&b, `<path d="%s" stroke="#1d4e89" stroke-opacity="0.5" stroke-width="2.5" stroke-linecap="round" fill="none"/>`+"\n", ok.String())
		if bad.Len() > 0 {
			fmt.Fprintf(&b, `<path d="%s" stroke="#d62828" stroke-width="3" stroke-linecap="round" fill="none"/>`+"\n", bad.String())
		}
	}
	fmt.Fprintf(&b, `<text x="14" y="%.1f" transform="rotate(-90 14 %.1f)" text-anchor="middle">query latency (log)</text>`+"\n", top+ph/2, top+ph/2)
	lx := left
	fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#1d4e89"/><text x="%.1f" y="%.1f" font-size="11">query</text>`, lx, height-10, lx+6, height-6)
	fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#d62828"/><text x="%.1f" y="%.1f" font-size="11">failed query</text>`, lx+60, height-10, lx+66, height-6)
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="12" height="10" fill="#fff3c4" stroke="#ccc"/><text x="%.1f" y="%.1f" font-size="11">release command running</text>`+"\n", lx+160, height-15, lx+176, height-6)
	if sc.LongTx {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="12" height="8" fill="#f4a261"/><text x="%.1f" y="%.1f" font-size="11">analytics transaction holding shop_order</text>`+"\n", lx+330, height-14, lx+346, height-6)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
