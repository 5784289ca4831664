package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nimbuscloud/nimbus/internal/blob/engine"
)

// storageCollector exports the object engine's status to Prometheus: the
// scrubber's and healer's counters and per-drive health.
type storageCollector struct {
	e *engine.Engine

	counters map[string]*prometheus.Desc
	gauges   map[string]*prometheus.Desc
	drive    *prometheus.Desc
	free     *prometheus.Desc
}

func newStorageCollector(e *engine.Engine) *storageCollector {
	c := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("nimbus_storage_"+name, help, nil, nil)
	}
	return &storageCollector{
		e: e,
		counters: map[string]*prometheus.Desc{
			"objects_scanned_total":   c("objects_scanned_total", "Objects the scrubber verified."),
			"shards_verified_total":   c("shards_verified_total", "Shards the scrubber verified."),
			"bytes_verified_total":    c("bytes_verified_total", "Bytes the scrubber verified."),
			"corruptions_found_total": c("corruptions_found_total", "Shards found corrupt (bad block, header, length or I/O error)."),
			"missing_found_total":     c("missing_found_total", "Shards found missing."),
			"heals_done_total":        c("heals_done_total", "Shards rebuilt."),
			"heal_failures_total":     c("heal_failures_total", "Heals that failed."),
			"orphans_removed_total":   c("orphans_removed_total", "Shards of objects no metadata names, collected."),
			"temps_removed_total":     c("temps_removed_total", "Temporary files of aborted or killed writes, collected."),
			"degraded_reads_total":    c("degraded_reads_total", "Reads that had to skip or rebuild a shard."),
			"degraded_puts_total":     c("degraded_puts_total", "Puts acknowledged with fewer than all shards."),
		},
		gauges: map[string]*prometheus.Desc{
			"reduced_redundancy_bytes":   c("reduced_redundancy_bytes", "Logical bytes of objects below full redundancy, not yet healed."),
			"reduced_redundancy_objects": c("reduced_redundancy_objects", "Objects below full redundancy, not yet healed."),
			"heal_queue":                 c("heal_queue", "Objects waiting for the healer."),
			"last_scrub_timestamp":       c("last_scrub_timestamp_seconds", "When the last scrub finished (unix seconds, 0 if never)."),
		},
		drive: prometheus.NewDesc("nimbus_storage_drive_healthy", "1 if the drive's last probe succeeded.", []string{"drive", "az"}, nil),
		free:  prometheus.NewDesc("nimbus_storage_drive_free_bytes", "Free bytes on the drive's file system.", []string{"drive", "az"}, nil),
	}
}

func (c *storageCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.counters {
		ch <- d
	}
	for _, d := range c.gauges {
		ch <- d
	}
	ch <- c.drive
	ch <- c.free
}

func (c *storageCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.e.Status()
	counter := func(name string, v int64) {
		ch <- prometheus.MustNewConstMetric(c.counters[name], prometheus.CounterValue, float64(v))
	}
	gauge := func(name string, v float64) {
		ch <- prometheus.MustNewConstMetric(c.gauges[name], prometheus.GaugeValue, v)
	}
	counter("objects_scanned_total", st.ObjectsScanned)
	counter("shards_verified_total", st.ShardsVerified)
	counter("bytes_verified_total", st.BytesVerified)
	counter("corruptions_found_total", st.CorruptionsFound)
	counter("missing_found_total", st.MissingFound)
	counter("heals_done_total", st.HealsDone)
	counter("heal_failures_total", st.HealFailures)
	counter("orphans_removed_total", st.OrphansRemoved)
	counter("temps_removed_total", st.TempsRemoved)
	counter("degraded_reads_total", st.DegradedReads)
	counter("degraded_puts_total", st.DegradedPuts)
	gauge("reduced_redundancy_bytes", float64(st.ReducedRedundancyBytes))
	gauge("reduced_redundancy_objects", float64(st.ReducedRedundancyObjects))
	gauge("heal_queue", float64(st.HealQueue))
	last := 0.0
	if !st.LastScrub.IsZero() {
		last = float64(st.LastScrub.Unix())
	}
	gauge("last_scrub_timestamp", last)
	for _, d := range st.Drives {
		healthy := 0.0
		if d.Healthy {
			healthy = 1
		}
		ch <- prometheus.MustNewConstMetric(c.drive, prometheus.GaugeValue, healthy, d.ID, d.AZ)
		ch <- prometheus.MustNewConstMetric(c.free, prometheus.GaugeValue, float64(d.FreeBytes), d.ID, d.AZ)
	}
}
