package layout

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
)

// TestDataDriven runs testdata/*.txt. Directives:
//
//	drives [azs=(a,b,c) n=<count>]     set the drive set: DefaultDrives(azs, n),
//	<id> <az>                          or one "<id> <az>" per input line
//	----
//	<drive count> drives: <az>:<count> ...
//
//	place layout=<layout> keys=(<k>,...)
//	----
//	<key>: <drive@az> ... (shard order) [<az>:<shards> ...]
//
//	change [add=<id>@<az>] [remove=<id>] layout=<layout> keys=(<k>,...)
//	----
//	for each key whose placement changes: before, after, and Rebalance's
//	assignment with the shards it moves; then the drive set becomes the new one
//
//	validate layout=<layout>           Validate against the current drives
//	parse                              ParseLayout of each input line
//	defaults azs=(a,b,c) from=<n> to=<n>  DefaultLayouts for DefaultDrives(azs, n..)
//	durability layout=<l> drives=<n> azs=<n> [afr=<f>] heal=<duration>
//
// Run with -rewrite to regenerate expected output.
func TestDataDriven(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var drives []Drive
			datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
				switch td.Cmd {
				case "drives":
					drives = runDrives(t, td)
					return describeDrives(drives)
				case "place":
					return runPlace(t, td, drives)
				case "change":
					var out string
					out, drives = runChange(t, td, drives)
					return out
				case "validate":
					if err := Validate(scanLayout(t, td), drives); err != nil {
						return "error: " + err.Error() + "\n"
					}
					return "ok\n"
				case "parse":
					return runParse(td)
				case "defaults":
					return runDefaults(t, td)
				case "durability":
					return runDurability(t, td)
				}
				t.Fatalf("%s: unknown directive %q", td.Pos, td.Cmd)
				return ""
			})
		})
	}
}

func scanLayout(t *testing.T, td *datadriven.TestData) Layout {
	var s string
	td.ScanArgs(t, "layout", &s)
	l, err := ParseLayout(s)
	if err != nil {
		t.Fatalf("%s: %v", td.Pos, err)
	}
	return l
}

func runDrives(t *testing.T, td *datadriven.TestData) []Drive {
	if td.HasArg("azs") {
		var azs []string
		var n int
		td.ScanArgs(t, "azs", &azs)
		td.ScanArgs(t, "n", &n)
		return DefaultDrives(azs, n)
	}
	var drives []Drive
	for _, line := range strings.Split(strings.TrimSpace(td.Input), "\n") {
		f := strings.Fields(line)
		switch len(f) {
		case 1: // a drive without an AZ, for error cases
			drives = append(drives, Drive{ID: f[0]})
		case 2:
			drives = append(drives, Drive{ID: f[0], AZ: f[1]})
		default:
			t.Fatalf("%s: want \"<id> <az>\", got %q", td.Pos, line)
		}
	}
	return drives
}

func describeDrives(drives []Drive) string {
	if _, err := NewDriveSet(drives); err != nil {
		return "error: " + err.Error() + "\n"
	}
	return fmt.Sprintf("%d drives: %s\n", len(drives), azSummary(drives))
}

// azSummary counts drives per AZ: "a:2 b:2 c:2".
func azSummary(drives []Drive) string {
	counts := map[string]int{}
	var azs []string
	for _, d := range drives {
		if counts[d.AZ] == 0 {
			azs = append(azs, d.AZ)
		}
		counts[d.AZ]++
	}
	slices.Sort(azs)
	parts := make([]string, len(azs))
	for i, az := range azs {
		parts[i] = fmt.Sprintf("%s:%d", az, counts[az])
	}
	return strings.Join(parts, " ")
}

func joinDrives(ds []Drive) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, " ")
}

func runPlace(t *testing.T, td *datadriven.TestData, drives []Drive) string {
	l := scanLayout(t, td)
	var keys []string
	td.ScanArgs(t, "keys", &keys)
	var b strings.Builder
	for _, k := range keys {
		got, err := Place(k, l, drives)
		if err != nil {
			fmt.Fprintf(&b, "%s: error: %v\n", k, err)
			continue
		}
		fmt.Fprintf(&b, "%s: %s [%s]\n", k, joinDrives(got), azSummary(got))
	}
	return b.String()
}

func runChange(t *testing.T, td *datadriven.TestData, drives []Drive) (string, []Drive) {
	l := scanLayout(t, td)
	var keys []string
	td.ScanArgs(t, "keys", &keys)
	next := slices.Clone(drives)
	if td.HasArg("add") {
		var add string
		td.ScanArgs(t, "add", &add)
		id, az, _ := strings.Cut(add, "@")
		next = append(next, Drive{ID: id, AZ: az})
	}
	if td.HasArg("remove") {
		var id string
		td.ScanArgs(t, "remove", &id)
		next = slices.DeleteFunc(next, func(d Drive) bool { return d.ID == id })
	}
	var b strings.Builder
	fmt.Fprintf(&b, "now %s", describeDrives(next))
	unchanged := 0
	for _, k := range keys {
		before, err1 := Place(k, l, drives)
		after, err2 := Place(k, l, next)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %s: %v %v", td.Pos, k, err1, err2)
		}
		if slices.Equal(before, after) {
			unchanged++
			continue
		}
		re, moved, err := Rebalance(before, after)
		if err != nil {
			t.Fatalf("%s: %v", td.Pos, err)
		}
		fmt.Fprintf(&b, "%s:\n  before    %s\n  place     %s\n  rebalance %s (moves shards %v)\n",
			k, joinDrives(before), joinDrives(after), joinDrives(re), moved)
	}
	fmt.Fprintf(&b, "%d of %d keys unchanged\n", unchanged, len(keys))
	return b.String(), next
}

func runParse(td *datadriven.TestData) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(td.Input), "\n") {
		l, err := ParseLayout(line)
		if err != nil {
			fmt.Fprintf(&b, "%s -> error: %v\n", line, err)
			continue
		}
		fmt.Fprintf(&b, "%s -> %v shards=%d read=%d write=%d tolerance=%d per-az=%d overhead=%.2f\n",
			line, l, l.Shards(), l.ReadQuorum(), l.Quorum(), l.Tolerance(), l.MaxPerAZ(), l.Overhead())
	}
	return b.String()
}

func runDefaults(t *testing.T, td *datadriven.TestData) string {
	var azs []string
	var from, to int
	td.ScanArgs(t, "azs", &azs)
	td.ScanArgs(t, "from", &from)
	td.ScanArgs(t, "to", &to)
	var b strings.Builder
	for n := from; n <= to; n++ {
		drives := DefaultDrives(azs, n)
		m, err := DefaultLayouts(drives)
		if err != nil {
			fmt.Fprintf(&b, "%2d (%s): error: %v\n", n, azSummary(drives), err)
			continue
		}
		for _, class := range []string{ClassStandard, ClassStandardIA, ClassGlacierIR} {
			if err := Validate(m[class], drives); err != nil {
				t.Fatalf("%s: default %s %v rejected: %v", td.Pos, class, m[class], err)
			}
		}
		fmt.Fprintf(&b, "%2d (%s): STANDARD=%v STANDARD_IA=%v GLACIER_IR=%v\n",
			n, azSummary(drives), m[ClassStandard], m[ClassStandardIA], m[ClassGlacierIR])
	}
	return b.String()
}

func runDurability(t *testing.T, td *datadriven.TestData) string {
	l := scanLayout(t, td)
	var drives, azs int
	var afr float64
	var heal string
	td.ScanArgs(t, "drives", &drives)
	td.ScanArgs(t, "azs", &azs)
	td.MaybeScanArgs(t, "afr", &afr)
	td.ScanArgs(t, "heal", &heal)
	d, err := time.ParseDuration(heal)
	if err != nil {
		t.Fatalf("%s: %v", td.Pos, err)
	}
	return Durability(l, drives, azs, afr, d).String() + "\n"
}
