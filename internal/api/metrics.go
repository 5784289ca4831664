package api

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the gateway's Prometheus collectors.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inflight prometheus.Gauge
}

// NewMetrics creates the collectors and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nimbus_requests_total",
			Help: "API requests by service, action and HTTP status.",
		}, []string{"service", "action", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "nimbus_request_duration_seconds",
			Help:    "API request latency by service, action and HTTP status.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"service", "action", "status"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nimbus_requests_in_flight",
			Help: "API requests being served.",
		}),
	}
	reg.MustRegister(m.requests, m.latency, m.inflight)
	return m
}

func (m *Metrics) observe(service, action string, status int, d time.Duration) {
	if action == "" {
		action = "unknown"
	}
	if service == "" {
		service = "unknown"
	}
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(service, action, code).Inc()
	m.latency.WithLabelValues(service, action, code).Observe(d.Seconds())
}
