package policy

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestDataDriven runs testdata/*.txt. Directives:
//
//	policy name=<n> kind=identity|resource|trust|boundary|session
//	<JSON>
//	----
//	ok | error: <message>
//
//	eval principal=<arn>|anonymous [service=<svc>] [federated=<idp>] [role=<role arn>]
//	     [account=<id>] action=<a> [resource=<arn>] [resource-account=<id>]
//	     [identity=(<n>,...)] [resource-policy=(<n>,...)] [boundary=<n>] [session=(<n>,...)]
//	<context-key>=<value>      (one per line; repeat a key for several values)
//	----
//	Allowed | Denied <AWS message tail>
//	  <Effect> <policy>[<statement>] <sid>
//
// Run with -rewrite to regenerate expected output.
func TestDataDriven(t *testing.T) {
	// Only testdata/*.txt: rapid keeps failure files under testdata/rapid.
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			docs := map[string]*Document{}
			datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
				switch td.Cmd {
				case "policy":
					return runPolicy(t, td, docs)
				case "eval":
					return runEval(t, td, docs)
				}
				t.Fatalf("%s: unknown directive %q", td.Pos, td.Cmd)
				return ""
			})
		})
	}
}

func parseKind(t testing.TB, s string) Kind {
	for k := Identity; k <= Session; k++ {
		if k.String() == s {
			return k
		}
	}
	t.Fatalf("unknown kind %q", s)
	return 0
}

func runPolicy(t *testing.T, td *datadriven.TestData, docs map[string]*Document) string {
	var name, kind string
	td.MaybeScanArgs(t, "name", &name)
	td.ScanArgs(t, "kind", &kind)
	d, err := Parse(td.Input, parseKind(t, kind))
	if err != nil {
		if _, ok := err.(*Error); !ok {
			t.Fatalf("%s: error is %T, want *Error", td.Pos, err)
		}
		return "error: " + err.Error() + "\n"
	}
	if name != "" {
		docs[name] = d
	}
	return "ok\n"
}

// principalFromARN fills the fields AWS derives from a caller ARN.
func principalFromARN(arn string) Principal {
	p := Principal{ARN: arn}
	a := splitARN(arn)
	if !a.ok {
		return p
	}
	p.Account = a.seg[4]
	switch {
	case a.seg[2] == "iam" && a.seg[5] == "root":
		p.IsRoot = true
	case a.seg[2] == "sts" && strings.HasPrefix(a.seg[5], "assumed-role/"):
		parts := strings.Split(a.seg[5], "/")
		p.RoleARN = fmt.Sprintf("arn:%s:iam::%s:role/%s", a.seg[1], a.seg[4], parts[1])
	}
	return p
}

func runEval(t *testing.T, td *datadriven.TestData, docs map[string]*Document) string {
	var req Request
	var principal string
	td.ScanArgs(t, "principal", &principal)
	if principal != "anonymous" {
		req.Principal = principalFromARN(principal)
	}
	td.MaybeScanArgs(t, "service", &req.Principal.Service)
	td.MaybeScanArgs(t, "federated", &req.Principal.Federated)
	td.MaybeScanArgs(t, "role", &req.Principal.RoleARN)
	td.MaybeScanArgs(t, "account", &req.Principal.Account)
	td.ScanArgs(t, "action", &req.Action)
	req.Resource = "*"
	td.MaybeScanArgs(t, "resource", &req.Resource)
	td.MaybeScanArgs(t, "resource-account", &req.ResourceAccount)

	named := func(arg string) []*Named {
		a, ok := td.Arg(arg)
		if !ok {
			return nil
		}
		var out []*Named
		for _, n := range a.Vals {
			d, ok := docs[n]
			if !ok {
				t.Fatalf("%s: unknown policy %q", td.Pos, n)
			}
			out = append(out, &Named{ID: n, Doc: d})
		}
		return out
	}
	var set PolicySet
	set.Identity = named("identity")
	set.Resource = named("resource-policy")
	set.Session = named("session")
	if b := named("boundary"); len(b) > 0 {
		set.Boundary = b[0]
	}
	for _, line := range strings.Split(td.Input, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: context line %q is not key=value", td.Pos, line)
		}
		if req.Context == nil {
			req.Context = map[string][]string{}
		}
		req.Context[k] = append(req.Context[k], v)
	}
	return formatDecision(Evaluate(set, req), req.Action)
}

func formatDecision(d Decision, action string) string {
	var b strings.Builder
	if d.Allowed {
		b.WriteString("Allowed\n")
	} else {
		fmt.Fprintf(&b, "Denied %s\n", d.Reason.Tail(action))
	}
	for _, m := range d.Matched {
		fmt.Fprintf(&b, "  %s %s[%d]", m.Effect, m.PolicyID, m.Index)
		if m.Sid != "" {
			b.WriteString(" " + m.Sid)
		}
		b.WriteString("\n")
	}
	return b.String()
}
