package s3

import (
	"net/http"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/s3"
)

func TestAccessRoutesAndDocuments(t *testing.T) {
	h, owner := newCORSHandler(t) // bucket "site" of 111111111111
	id := s3.CanonicalID("111111111111")
	for _, tc := range []struct {
		method, target, body string
		hdr                  map[string]string
		status               int
		contains             string
	}{
		{"GET", "/site?publicAccessBlock", "", nil, 200, `<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`},
		{"GET", "/site?ownershipControls", "", nil, 200, `<OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>`},
		{"GET", "/site?acl", "", nil, 200, `<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>` + id + `</ID><DisplayName>111111111111</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList>`},
		{"PUT", "/site?publicAccessBlock", `<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicPolicy>TRUE</BlockPublicPolicy></PublicAccessBlockConfiguration>`, nil, 200, ""},
		{"GET", "/site?publicAccessBlock", "", nil, 200, `<BlockPublicAcls>false</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy>`},
		{"PUT", "/site?publicAccessBlock", `<Nope/>`, nil, 400, "<Code>MalformedXML</Code>"},
		{"PUT", "/site?publicAccessBlock", `<PublicAccessBlockConfiguration/>`, map[string]string{"Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="}, 400, "<Code>BadDigest</Code>"},
		{"DELETE", "/site?publicAccessBlock", "", nil, 204, ""},
		{"GET", "/site?publicAccessBlock", "", nil, 404, "<Code>NoSuchPublicAccessBlockConfiguration</Code>"},
		{"PUT", "/site?ownershipControls", `<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>`, nil, 200, ""},
		{"PUT", "/site?ownershipControls", `<OwnershipControls></OwnershipControls>`, nil, 400, "<Code>MalformedXML</Code>"},
		{"PUT", "/site?ownershipControls", `<OwnershipControls><Rule><ObjectOwnership>Mine</ObjectOwnership></Rule></OwnershipControls>`, nil, 400, "<Code>MalformedXML</Code>"},
		{"PUT", "/site?acl", "", map[string]string{"x-amz-acl": "public-read"}, 200, ""},
		{"GET", "/site?acl", "", nil, 200, `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>`},
		{"PUT", "/site?acl", `<AccessControlPolicy><Owner><ID>` + id + `</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>` + id + `</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`, nil, 200, ""},
		{"PUT", "/site?acl", `<AccessControlPolicy><Owner><ID>someone-else</ID></Owner></AccessControlPolicy>`, nil, 403, "<Code>AccessDenied</Code>"},
		{"PUT", "/site?acl", "", map[string]string{"x-amz-grant-read": `id="` + id + `", bogus`}, 400, "<Code>InvalidArgument</Code>"},
		{"PUT", "/site?acl", "", map[string]string{"x-amz-grant-full-control": `id="` + id + `"`}, 200, ""},
		{"DELETE", "/site?acl", "", nil, 405, "<Code>MethodNotAllowed</Code>"},
		{"DELETE", "/site?ownershipControls", "", nil, 204, ""},
		{"GET", "/site?ownershipControls", "", nil, 404, "<Code>OwnershipControlsNotFoundError</Code>"},
		{"GET", "/site/missing?acl", "", nil, 404, "<Code>NoSuchKey</Code>"},
		{"DELETE", "/site/missing?acl", "", nil, 405, "<Code>MethodNotAllowed</Code>"},
		{"GET", "/nope?ownershipControls", "", nil, 404, "<Code>NoSuchBucket</Code>"},
	} {
		w := serve(h, owner, tc.method, tc.target, tc.body, tc.hdr)
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.contains) {
			t.Errorf("%s %s %v: %d %s", tc.method, tc.target, tc.hdr, w.Code, w.Body.String())
		}
	}
	// The bucket still exists: DELETE ?acl did not fall through to DeleteBucket.
	if w := serve(h, owner, http.MethodHead, "/site", "", nil); w.Code != 200 {
		t.Fatalf("HeadBucket: %d", w.Code)
	}
}

func FuzzACLHeaders(f *testing.F) {
	for _, s := range []string{`id="abc"`, `uri="http://acs.amazonaws.com/groups/global/AllUsers", id=x`, `emailAddress="a@b"`, `=`, `,,`, `id`} {
		f.Add("", s)
		f.Add("private", s)
	}
	f.Fuzz(func(t *testing.T, canned, grants string) {
		h := http.Header{}
		if canned != "" {
			h.Set("X-Amz-Acl", canned)
		}
		h.Set("X-Amz-Grant-Read", grants)
		a, err := aclHeaders(h)
		if err != nil {
			return
		}
		if a.Canned != "" && a.HasGrants {
			t.Fatalf("canned and grants accepted together: %+v", a)
		}
		for _, g := range a.Grants {
			if g.Permission != "READ" || (g.ID == "") == (g.URI == "") && g.Email == "" {
				t.Fatalf("grant %+v from %q", g, grants)
			}
		}
	})
}

func FuzzAccessControlPolicy(f *testing.F) {
	f.Add(`<AccessControlPolicy><Owner><ID>x</ID></Owner><AccessControlList><Grant><Grantee><URI>u</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`)
	f.Add(`<AccessControlPolicy>`)
	f.Fuzz(func(t *testing.T, body string) {
		var doc accessControlPolicyXML
		_ = decodeXML([]byte(body), &doc) // must not panic; anything not decoded is MalformedACLError
	})
}
