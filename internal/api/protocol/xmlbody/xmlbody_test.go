package xmlbody

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
)

type deleteObjects struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool     `xml:"Quiet"`
	Objects []struct {
		Key string `xml:"Key"`
	} `xml:"Object"`
}

func TestDecode(t *testing.T) {
	const ok = `<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><!-- c --><Quiet>true</Quiet><Object><Key>a</Key></Object><Object><Key>b&amp;c</Key></Object></Delete>
`
	var d deleteObjects
	if err := Decode(strings.NewReader(ok), 1<<20, &d); err != nil {
		t.Fatal(err)
	}
	if !d.Quiet || len(d.Objects) != 2 || d.Objects[1].Key != "b&c" {
		t.Fatalf("%+v", d)
	}
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><Delete><Quiet>&lol2;</Quiet></Delete>`
	tests := []struct {
		name, body string
		limit      int64
		want       error
	}{
		{"too large", ok, 20, ErrTooLarge},
		{"entity bomb", bomb, 1 << 20, ErrMalformed},
		{"doctype", `<!DOCTYPE Delete SYSTEM "http://x/evil.dtd"><Delete/>`, 1 << 20, ErrMalformed},
		{"undefined entity", `<Delete><Quiet>&xxe;</Quiet></Delete>`, 1 << 20, ErrMalformed},
		{"invalid utf8", "<Delete><Quiet>\xff</Quiet></Delete>", 1 << 20, ErrMalformed},
		{"latin1 declared", `<?xml version="1.0" encoding="ISO-8859-1"?><Delete/>`, 1 << 20, ErrMalformed},
		{"processing instruction", `<Delete><?php x ?></Delete>`, 1 << 20, ErrMalformed},
		{"too deep", strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40), 1 << 20, ErrMalformed},
		{"trailing element", `<Delete/><Delete/>`, 1 << 20, ErrMalformed},
		{"trailing text", `<Delete/>garbage`, 1 << 20, ErrMalformed},
		{"unclosed", `<Delete><Quiet>`, 1 << 20, ErrMalformed},
		{"empty", ``, 1 << 20, ErrMalformed},
		{"mismatched", `<Delete></Quiet>`, 1 << 20, ErrMalformed},
		{"wrong type", `<Delete><Quiet>maybe</Quiet></Delete>`, 1 << 20, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d deleteObjects
			if err := Decode(strings.NewReader(tt.body), tt.limit, &d); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWriteS3Error(t *testing.T) {
	e := &awserr.Error{Code: "NoSuchKey", Message: "The specified key does not exist.", Status: 404, Resource: "/b/k<1>"}
	w := httptest.NewRecorder()
	WriteS3Error(w, httptest.NewRequest(http.MethodGet, "/b/k", nil), e, "REQ1", "HOST1")
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Resource>/b/k&lt;1&gt;</Resource><RequestId>REQ1</RequestId><HostId>HOST1</HostId></Error>`
	if w.Code != 404 || w.Body.String() != want || w.Header().Get("x-amz-request-id") != "REQ1" || w.Header().Get("x-amz-id-2") != "HOST1" ||
		w.Header().Get("Content-Type") != "application/xml" {
		t.Fatalf("%d %v\n%s", w.Code, w.Header(), w.Body)
	}
	w = httptest.NewRecorder()
	WriteS3Error(w, httptest.NewRequest(http.MethodHead, "/b/k", nil), e, "REQ1", "HOST1")
	if w.Code != 404 || w.Body.Len() != 0 || w.Header().Get("x-amz-request-id") != "REQ1" {
		t.Fatalf("HEAD: %d %q", w.Code, w.Body)
	}
}

func FuzzXMLBody(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><Delete><Quiet>true</Quiet><Object><Key>a</Key></Object></Delete>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><Delete/>`))
	f.Add([]byte(`<a><b><c/></b></a>trailing`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var d deleteObjects
		err := Decode(strings.NewReader(string(body)), 4096, &d)
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("unclassified error %v", err)
		}
	})
}
