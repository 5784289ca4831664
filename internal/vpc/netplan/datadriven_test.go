package netplan

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
	"github.com/nimbuscloud/nimbus/internal/vpc/netplan/modeltext"
)

// TestDataDriven runs testdata/*.txt. Directives:
//
//	model
//	<topology in modeltext form>
//	----
//	ok | error: ...
//
//	plan host=<id> [hostns=<name>] [internet=<netns>] [gateway=<prefix>]
//	     [attach=(<eni>:<netns>:<ifname>[:nodefault],...)] [prefix=<p>]
//	----
//	<HostState.String()> | error: ...
//
// Run with -rewrite to regenerate expected output.
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		if filepath.Ext(path) != ".txt" {
			return // rapid's failure files live in testdata/rapid
		}
		var m *netmodel.Model
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			switch td.Cmd {
			case "model":
				var err error
				if m, err = modeltext.Parse(td.Input); err != nil {
					return "error: " + err.Error() + "\n"
				}
				return "ok\n"
			case "plan":
				hs, err := Plan(m, scanHost(t, td), scanConfig(t, td))
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				return hs.String()
			}
			t.Fatalf("%s: unknown directive %q", td.Pos, td.Cmd)
			return ""
		})
	})
}

func scanHost(t *testing.T, td *datadriven.TestData) string {
	var host string
	td.ScanArgs(t, "host", &host)
	return host
}

func scanConfig(t *testing.T, td *datadriven.TestData) Config {
	cfg := Config{HostNetns: "nb-host"}
	if td.HasArg("hostns") {
		td.ScanArgs(t, "hostns", &cfg.HostNetns)
	}
	if td.HasArg("prefix") {
		td.ScanArgs(t, "prefix", &cfg.Prefix)
	}
	if td.HasArg("internet") {
		td.ScanArgs(t, "internet", &cfg.Internet.Netns)
		cfg.Internet.Gateway = netip.MustParsePrefix("198.18.0.1/15")
	}
	if td.HasArg("gateway") {
		var s string
		td.ScanArgs(t, "gateway", &s)
		cfg.Internet.Gateway = netip.MustParsePrefix(s)
	}
	if td.HasArg("attach") {
		var as []string
		td.ScanArgs(t, "attach", &as)
		cfg.Attachments = map[string]Attachment{}
		for _, a := range as {
			f := strings.Split(a, ":")
			if len(f) < 3 {
				t.Fatalf("%s: attach %q: want eni:netns:ifname[:nodefault]", td.Pos, a)
			}
			cfg.Attachments[f[0]] = Attachment{Netns: f[1], IfName: f[2], NoDefaultRoute: len(f) > 3 && f[3] == "nodefault"}
		}
	}
	return cfg
}
