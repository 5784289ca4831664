package netplan

import (
	"testing"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan/modeltext"
)

// BenchmarkPlan times the pure planner on one host of a VPC with 10
// subnets and 100 ENIs (the region of netplane's BenchmarkApply).
func BenchmarkPlan(b *testing.B) {
	m := modeltext.MustParse(modeltext.BenchTopology(80))
	cfg := Config{HostNetns: "nb-host"}
	for b.Loop() {
		if _, err := Plan(m, "h1", cfg); err != nil {
			b.Fatal(err)
		}
	}
}
