package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nimbuscloud/nimbus/internal/app"
	"github.com/nimbuscloud/nimbus/internal/blob/layout"
	"github.com/nimbuscloud/nimbus/internal/config"
)

// runStorageDurability prints the expected annual object-loss probability
// of each storage class's layout on the region's drive set.
func runStorageDurability(args, env []string, stdout, stderr io.Writer) error {
	var (
		afr    float64
		heal   time.Duration
		drives int
	)
	cfg, err := config.Load("nimbus admin storage durability", args, env, stderr, func(fs *flag.FlagSet) {
		fs.Float64Var(&afr, "afr", layout.DefaultAFR, "annual drive failure rate (Backblaze 2024: 0.0157)")
		fs.DurationVar(&heal, "heal-time", 24*time.Hour, "time to restore a failed drive's shards")
		fs.IntVar(&drives, "drives", 0, "drive count (default: the all-in-one default for the region's AZs)")
	})
	if err != nil {
		return err
	}
	if afr <= 0 || afr >= 1 || heal <= 0 {
		return errors.New("want 0 < --afr < 1 and --heal-time > 0")
	}
	set := layout.DefaultDrives(cfg.AZs, drives)
	layouts, err := layout.DefaultLayouts(set)
	if err != nil {
		return err
	}
	classes := make([]string, 0, len(layouts))
	for c := range layouts {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	fmt.Fprintf(stdout, "%d drives over %d AZs, AFR %.2f%%, heal time %v\n", len(set), len(cfg.AZs), afr*100, heal)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tLAYOUT\tOVERHEAD\tAZ LOSS SURVIVED\tP(LOSS/YEAR)\tNINES")
	for _, c := range classes {
		r := layout.Durability(layouts[c], len(set), len(cfg.AZs), afr, heal)
		if r.Err != nil {
			return fmt.Errorf("%s: %w", c, r.Err)
		}
		fmt.Fprintf(tw, "%s\t%v\t%.2fx\t%d\t%.3g\t%.1f\n", c, layouts[c], r.Overhead, r.AZLossTolerance, r.LossProbability, r.Nines)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Note: on one machine the AZs share a fault domain; the figures assume independent drives.")
	return nil
}

// runStorageStatus prints the running region's storage health: the engine's
// scrub and heal counters and per-drive health, read from its /metrics.
func runStorageStatus(args, env []string, stdout, stderr io.Writer) error {
	var endpoint string
	cfg, err := config.Load("nimbus admin storage status", args, env, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&endpoint, "endpoint", "", "endpoint of the running server (default: from --listen)")
	})
	if err != nil {
		return err
	}
	if endpoint == "" {
		endpoint = app.EndpointURL(cfg.Listen, false)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(strings.TrimSuffix(endpoint, "/") + "/metrics")
	if err != nil {
		return fmt.Errorf("is the server running at %s? %w", endpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s/metrics answered %s", endpoint, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tVALUE")
	found := 0
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "nimbus_storage_") {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\n", strings.TrimPrefix(name, "nimbus_storage_"), value)
		found++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if found == 0 {
		return fmt.Errorf("%s/metrics has no storage metrics", endpoint)
	}
	return tw.Flush()
}
