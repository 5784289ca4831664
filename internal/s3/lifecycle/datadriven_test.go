package lifecycle

import (
	"encoding/xml"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
)

// TestDataDriven runs testdata/*.txt. Directives:
//
//	parse
//	<XML document>
//	----
//	ok, then the configuration as Marshal writes it (indented here), or
//	error: <Code> <Status>: <Message>, then "detail: ..." for MalformedXML
//
//	config
//	<XML document>
//	----
//	ok | error: ...    (and the configuration becomes the current one)
//
//	eval now=<RFC 3339> [day=<duration>]
//	<version>          (one per line, see parseVersion)
//	----
//	<key>: <Action>    (one per version, Evaluate under the current configuration)
//
//	abort now=<RFC 3339> [day=<duration>]
//	<key> <initiated, RFC 3339>
//	----
//	<key>: abort | keep
//
// Rules given no ID are named gen-1, gen-2, ... in each document. Run with
// -rewrite to regenerate expected output.
func TestDataDriven(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var cfg *Configuration
			datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
				switch td.Cmd {
				case "parse":
					c, out := runParse(t, td)
					if c != nil {
						b, err := xml.MarshalIndent(c.toXML(), "", "  ")
						if err != nil {
							t.Fatalf("%s: marshal: %v", td.Pos, err)
						}
						out += string(b) + "\n"
					}
					return out
				case "config":
					c, out := runParse(t, td)
					if c != nil {
						cfg = c
					}
					return out
				case "eval":
					return runEval(t, td, cfg)
				case "abort":
					return runAbort(t, td, cfg)
				}
				t.Fatalf("%s: unknown directive %q", td.Pos, td.Cmd)
				return ""
			})
		})
	}
}

// seqIDs names rules gen-1, gen-2, ...
func seqIDs() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("gen-%d", n)
	}
}

func runParse(t *testing.T, td *datadriven.TestData) (*Configuration, string) {
	c, err := ParseWithIDs([]byte(td.Input), seqIDs())
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: error is %T, want *Error", td.Pos, err)
		}
		out := fmt.Sprintf("error: %s %d: %s\n", e.Code, e.Status, e.Message)
		if e.Detail != "" {
			out += "detail: " + e.Detail + "\n"
		}
		return nil, out
	}
	// Every configuration the tests parse must survive a round trip.
	checkRoundTrip(t, c)
	return c, "ok\n"
}

func scanClock(t *testing.T, td *datadriven.TestData) (Clock, time.Time) {
	var nowS string
	td.ScanArgs(t, "now", &nowS)
	now := mustTime(t, td.Pos, nowS)
	var k Clock
	if td.HasArg("day") {
		var dayS string
		td.ScanArgs(t, "day", &dayS)
		d, err := time.ParseDuration(dayS)
		if err != nil {
			t.Fatalf("%s: day: %v", td.Pos, err)
		}
		k.Day = d
	}
	return k, now
}

func mustTime(t *testing.T, pos, s string) time.Time {
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%s: time %q: %v", pos, s, err)
	}
	return tm
}

// parseVersion reads one version line of space-separated fields:
//
//	<key> [size=<n>] [mod=<time>] [tags=<k>:<v>,...] [class=<class>]
//	  current | marker | noncurrent[=<since>]  (current is the default)
//	  [only] [newer=<n>]
//
// "marker" is a current delete marker; "noncurrent marker" a noncurrent one.
func parseVersion(t *testing.T, pos, line string) Version {
	fields := strings.Fields(line)
	v := Version{Key: fields[0], IsLatest: true}
	if v.Key == `""` {
		v.Key = ""
	}
	for _, f := range fields[1:] {
		name, val, _ := strings.Cut(f, "=")
		switch name {
		case "size":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				t.Fatalf("%s: size: %v", pos, err)
			}
			v.Size = n
		case "mod":
			v.ModTime = mustTime(t, pos, val)
		case "tags":
			v.Tags = map[string]string{}
			for _, kv := range strings.Split(val, ",") {
				k, tv, _ := strings.Cut(kv, ":")
				v.Tags[k] = tv
			}
		case "class":
			v.StorageClass = val
		case "current":
		case "marker":
			v.DeleteMarker = true
		case "noncurrent":
			v.IsLatest = false
			if val != "" {
				v.NoncurrentSince = mustTime(t, pos, val)
			}
		case "only":
			v.OnlyVersion = true
		case "newer":
			n, err := strconv.Atoi(val)
			if err != nil {
				t.Fatalf("%s: newer: %v", pos, err)
			}
			v.NewerNoncurrent = n
		default:
			t.Fatalf("%s: unknown version field %q", pos, f)
		}
	}
	return v
}

func runEval(t *testing.T, td *datadriven.TestData, cfg *Configuration) string {
	if cfg == nil {
		t.Fatalf("%s: eval without a config", td.Pos)
	}
	k, now := scanClock(t, td)
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(td.Input), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		v := parseVersion(t, td.Pos, line)
		a := k.Evaluate(cfg, v, now)
		if k.Day == 0 {
			if got := cfg.Evaluate(v, now); got != a {
				t.Fatalf("%s: Configuration.Evaluate %v, Clock{}.Evaluate %v", td.Pos, got, a)
			}
		}
		fmt.Fprintf(&b, "%s: %v\n", strings.Fields(line)[0], a)
	}
	return b.String()
}

func runAbort(t *testing.T, td *datadriven.TestData, cfg *Configuration) string {
	if cfg == nil {
		t.Fatalf("%s: abort without a config", td.Pos)
	}
	k, now := scanClock(t, td)
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(td.Input), "\n") {
		fields := strings.Fields(line)
		if len(fields) != 2 {
			t.Fatalf("%s: want <key> <initiated>, got %q", td.Pos, line)
		}
		key := fields[0]
		if key == `""` {
			key = ""
		}
		verdict := "keep"
		if k.AbortUpload(cfg, key, mustTime(t, td.Pos, fields[1]), now) {
			verdict = "abort"
		}
		fmt.Fprintf(&b, "%s: %s\n", fields[0], verdict)
	}
	return b.String()
}
