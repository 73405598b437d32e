// Command downtime measures what an app's users feel during a release: the sample Django app's
// old code under a fixed-rate load while a release runs, once with the plain
// `python manage.py migrate --noinput` as the release command and once with
// `zdcd-release release`, on the same data, for a set of scenarios. It writes a CSV, one latency
// chart per scenario and docs/downtime.md. See docs/downtime.md.
//
//	go run ./bench/downtime -rows 2000000 -out docs/downtime
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	o := defaultOptions()
	var only string
	flag.IntVar(&o.Rows, "rows", o.Rows, "rows seeded in shop_order (the table every scenario changes)")
	flag.IntVar(&o.Rate, "rate", o.Rate, "queries a second of the old app's load (select 60%, insert 20%, update 20%)")
	flag.IntVar(&o.Conns, "conns", o.Conns, "connections of the old app's pool")
	flag.DurationVar(&o.Warmup, "warmup", o.Warmup, "load before the release starts")
	flag.DurationVar(&o.Tail, "tail", o.Tail, "load after the release ends")
	flag.DurationVar(&o.Baseline, "baseline", o.Baseline, "length of the no-release baseline run")
	flag.DurationVar(&o.Hold, "hold", o.Hold, "how long the outage scenario's analytics transaction holds shop_order")
	flag.StringVar(&only, "scenarios", "", "comma-separated scenarios to run (default: all)")
	flag.StringVar(&o.Out, "out", o.Out, "directory for results.csv and the charts")
	flag.StringVar(&o.Doc, "doc", "", "the markdown report (default: <out>.md)")
	flag.StringVar(&o.Binary, "binary", "", "a zdcd-release binary (default: built from ./cmd/zdcd-release)")
	flag.StringVar(&o.Sample, "sample", o.Sample, "the sample Django project")
	flag.Parse()
	if only != "" {
		o.Only = strings.Split(only, ",")
	}
	if o.Doc == "" {
		o.Doc = filepath.Clean(o.Out) + ".md"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, o, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "downtime:", err)
		os.Exit(1)
	}
}

// options of one benchmark run.
type options struct {
	Rows, Rate, Conns            int
	Warmup, Tail, Baseline, Hold time.Duration
	Only                         []string
	Out, Doc, Binary, Sample     string
	// Python has Django: $ZDCD_PYTHON, else /usr/bin/python3.
	Python string
}

func defaultOptions() options {
	return options{
		Rows: 2_000_000, Rate: 200, Conns: 64,
		Warmup: 3 * time.Second, Tail: 4 * time.Second, Baseline: 12 * time.Second, Hold: 8 * time.Second,
		Out: "docs/downtime", Sample: "test/sampleapp",
	}
}
