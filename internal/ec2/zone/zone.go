// Package zone names a region's availability zones the way EC2 does. It is
// pure and shared by the EC2-family services.
package zone

import (
	"fmt"
	"strings"
)

// ID derives an AWS-style zone ID from a zone name: us-east-1a -> use1-az1
// (region initials, then the zone letter's position). Stable, but not
// AWS's per-account shuffled mapping.
func ID(region, az string) string {
	parts := strings.Split(region, "-")
	short := ""
	for i, p := range parts {
		switch {
		case i == 0 || i == len(parts)-1:
			short += p
		case p != "":
			short += p[:1]
		}
	}
	if az == "" {
		return short + "-az0"
	}
	return fmt.Sprintf("%s-az%d", short, int(az[len(az)-1]-'a')+1)
}
