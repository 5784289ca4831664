package s3

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestVersioningDatadriven runs testdata/versioning: a bucket's life
// through versioning states, with version IDs renamed v1, v2, ... in
// order of appearance (they are random).
//
//	versioning status=Enabled|Suspended      PutBucketVersioning
//	put key=k body=x [size=n]                 PutObject (body repeated to n bytes)
//	delete key=k [version=v]                  DeleteObject
//	get key=k [version=v]                     GetObject: body or error
//	versions [prefix=p] [delimiter=d] [max=n] [key-marker=k] [version-marker=v]
//	list                                      ListObjectsV2 keys
//	blobs                                     bodies stored in the engine
func TestVersioningDatadriven(t *testing.T) {
	datadriven.Walk(t, "testdata/versioning", func(t *testing.T, path string) {
		e := newEnv(t)
		if err := e.s.CreateBucket(e.alice, "bk1", ""); err != nil {
			t.Fatal(err)
		}
		names := map[string]string{"null": "null"} // real ID -> v<n>
		ids := map[string]string{"null": "null"}   // v<n> -> real ID
		name := func(id string) string {
			if id == "" {
				return "-"
			}
			if n, ok := names[id]; ok {
				return n
			}
			n := "v" + strconv.Itoa(len(names))
			names[id], ids[n] = n, id
			return n
		}
		real := func(td *datadriven.TestData) string {
			if !td.HasArg("version") {
				return ""
			}
			var v string
			td.ScanArgs(t, "version", &v)
			if id, ok := ids[v]; ok {
				return id
			}
			return v // malformed on purpose
		}
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			ctx := e.alice
			var key string
			if td.HasArg("key") {
				td.ScanArgs(t, "key", &key)
			}
			switch td.Cmd {
			case "versioning":
				var st string
				td.ScanArgs(t, "status", &st)
				if err := e.s.PutBucketVersioning(ctx, "bk1", st, ""); err != nil {
					return errCode(err)
				}
				got, _ := e.s.GetBucketVersioning(ctx, "bk1")
				return "status=" + got
			case "put":
				var body string
				td.ScanArgs(t, "body", &body)
				if td.HasArg("size") {
					var n int
					td.ScanArgs(t, "size", &n)
					body = strings.Repeat(body, n/len(body)+1)[:n]
				}
				p, err := e.put(t, ctx, "bk1", key, body)
				if err != nil {
					return errCode(err)
				}
				return "version=" + name(p.VersionID)
			case "delete":
				out, err := e.s.DeleteObject(ctx, "bk1", ObjectID{Key: key, VersionID: real(td)}, DeleteOptions{})
				if err != nil {
					return errCode(err)
				}
				return fmt.Sprintf("version=%s marker=%t", name(out.VersionID), out.DeleteMarker)
			case "get":
				body, o, err := e.get(t, ctx, GetInput{Bucket: "bk1", Key: key, VersionID: real(td)})
				if err != nil {
					s := errCode(err)
					if o != nil && o.DeleteMarker {
						s += " delete-marker=" + name(o.VersionID)
					}
					return s
				}
				if len(body) > 16 {
					body = fmt.Sprintf("%s...(%d bytes)", body[:4], len(body))
				}
				return fmt.Sprintf("%s version=%s latest=%t", body, name(o.VersionID), o.IsLatest)
			case "versions":
				in := VersionsInput{Bucket: "bk1", MaxKeys: MaxListKeys}
				for _, a := range td.CmdArgs {
					switch a.Key {
					case "prefix":
						in.Prefix = a.Vals[0]
					case "delimiter":
						in.Delimiter = a.Vals[0]
					case "max":
						in.MaxKeys, _ = strconv.Atoi(a.Vals[0])
					case "key-marker":
						in.KeyMarker = a.Vals[0]
					case "version-marker":
						in.VersionIDMarker = ids[a.Vals[0]]
						if in.VersionIDMarker == "" {
							in.VersionIDMarker = a.Vals[0]
						}
					}
				}
				out, err := e.s.ListObjectVersions(ctx, in)
				if err != nil {
					return errCode(err)
				}
				var b strings.Builder
				for _, v := range out.Versions {
					kind := "version"
					if v.DeleteMarker {
						kind = "marker"
					}
					fmt.Fprintf(&b, "%s %s %s latest=%t\n", v.Key, kind, name(v.VersionID), v.IsLatest)
				}
				for _, p := range out.CommonPrefixes {
					fmt.Fprintf(&b, "prefix %s\n", p)
				}
				if out.IsTruncated {
					nv := out.NextVersionIDMarker
					if nv != "" {
						nv = name(nv)
					}
					fmt.Fprintf(&b, "truncated next=%s/%s\n", out.NextKeyMarker, nv)
				}
				return b.String()
			case "list":
				out, err := e.s.ListObjects(ctx, ListInput{Bucket: "bk1", MaxKeys: MaxListKeys})
				if err != nil {
					return errCode(err)
				}
				var keys []string
				for _, en := range out.Entries {
					keys = append(keys, en.Key)
				}
				return "keys=" + strings.Join(keys, ",")
			case "blobs":
				return strconv.Itoa(e.blobs.count())
			case "delete-bucket":
				if err := e.s.DeleteBucket(ctx, "bk1"); err != nil {
					return errCode(err)
				}
				return "ok"
			}
			t.Fatalf("unknown command %q", td.Cmd)
			return ""
		})
	})
}

// errCode names a service error by its sentinel.
func errCode(err error) string {
	for _, s := range []error{ErrNoSuchKey, ErrNoSuchVersion, ErrMethodNotAllowed, ErrInvalidArgument, ErrIllegalVersioning,
		ErrBucketNotEmpty, ErrInvalidBucketState, ErrAccessDenied, ErrNotImplementedHeader} {
		if errors.Is(err, s) {
			return "error: " + s.Error()
		}
	}
	return "error: " + err.Error()
}

// A GET of a noncurrent version pins its body: deleting that version for
// good while the GET streams leaves the bytes readable until Close.
func TestVersionReadPinsBody(t *testing.T) {
	e := newEnv(t)
	ctx := e.alice
	e.s.CreateBucket(ctx, "bk1", "")
	if err := e.s.PutBucketVersioning(ctx, "bk1", VersioningEnabled, ""); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("a", 10000)
	p1, err := e.put(t, ctx, "bk1", "k", big)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.put(t, ctx, "bk1", "k", "new"); err != nil {
		t.Fatal(err)
	}
	o, err := e.s.GetObject(ctx, GetInput{Bucket: "bk1", Key: "k", VersionID: p1.VersionID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.DeleteObject(ctx, "bk1", ObjectID{Key: "k", VersionID: p1.VersionID}, DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if _, err := o.WriteTo(context.Background(), &b); err != nil || b.String() != big {
		t.Fatalf("pinned read: %d bytes, %v", b.Len(), err)
	}
	o.Close()
	if e.blobs.count() != 0 {
		t.Fatalf("%d blobs left after the pinned version's reader closed", e.blobs.count())
	}
}
