package lifecycle

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse: Parse never panics; its errors are *Error with a code, a 4xx
// status and a message; what it accepts Marshals to a document that parses
// back to an equal configuration; and evaluating it never panics. The seed
// corpus (run by plain go test) is every parse and config document in
// testdata/*.txt and a few more.
func FuzzParse(f *testing.F) {
	seeds := []string{
		xmlHead + `<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>` + xmlTail,
		`<LifecycleConfiguration><Rule><ID>x</ID><Prefix>a</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>` +
			`<Rule><ID>y</ID><Prefix>b</Prefix><Status>Disabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>`,
		xmlHead + `<Rule><Filter><And><Prefix>p</Prefix><Tag><Key>k</Key></Tag><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan><ObjectSizeLessThan>9</ObjectSizeLessThan></And></Filter>` +
			`<Status>Enabled</Status><Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition><Transition><Days>60</Days><StorageClass>GLACIER_IR</StorageClass></Transition>` +
			`<Expiration><Days>61</Days></Expiration><NoncurrentVersionTransition><NoncurrentDays>0</NoncurrentDays><StorageClass>GLACIER_IR</StorageClass></NoncurrentVersionTransition>` +
			`<NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays><NewerNoncurrentVersions>100</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>` + xmlTail,
		xmlHead + `<Rule><Filter><Prefix>&#xD;&lt;</Prefix></Filter><Status>Enabled</Status><Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>` + xmlTail,
		`<a><b><c><d><e><f><g>`,
		``,
	}
	files, _ := filepath.Glob("testdata/*.txt")
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, documents(string(b))...)
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	versions := []Version{
		{Key: "pa", Size: 5, Tags: map[string]string{"k": ""}, ModTime: now.AddDate(-1, 0, 0), IsLatest: true},
		{Key: "pa", Size: 5, ModTime: now.AddDate(-1, 0, 0), NoncurrentSince: now.AddDate(0, -3, 0), NewerNoncurrent: 200},
		{Key: "", ModTime: now.AddDate(-1, 0, 0), IsLatest: true, DeleteMarker: true, OnlyVersion: true},
		{Key: "b", ModTime: now.AddDate(-1, 0, 0), DeleteMarker: true, NoncurrentSince: now.AddDate(0, -3, 0)},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseWithIDs(body, seqIDs())
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			if e.Code == "" || e.Message == "" || e.Status != 400 {
				t.Fatalf("error %#v: want a code, a message and status 400", e)
			}
			return
		}
		checkRoundTrip(t, c)
		for _, v := range versions {
			c.Evaluate(v, now)
			Clock{Day: time.Second}.Evaluate(c, v, now)
		}
		c.AbortUpload("pa", now.AddDate(0, -1, 0), now)
	})
}

// documents are the inputs of the parse and config directives of a
// datadriven file.
func documents(file string) []string {
	var docs []string
	lines := strings.Split(file, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] != "parse" && lines[i] != "config" {
			continue
		}
		var doc []string
		for i++; i < len(lines) && lines[i] != "----"; i++ {
			doc = append(doc, lines[i])
		}
		docs = append(docs, strings.Join(doc, "\n"))
	}
	return docs
}
