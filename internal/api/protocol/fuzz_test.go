package protocol

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func FuzzQueryDecode(f *testing.F) {
	for _, s := range []string{
		"UserName=x&Tags.member.1.Key=k&Tags.member.1.Value=v",
		"UserName=x&Attrs.entry.1.key=a&Attrs.entry.1.value=1&NestedList.member.2.arn=b",
		"UserName=x&When=2024-01-02T03:04:05Z&Blob=aGk%3D&Flat.3=a&KV.1.Name=n&KV.1.Val=v",
		"UserName=%ff&a..b=1&Flat.0=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var c shapeCache
		root, err := parseParams(body)
		if err != nil {
			return
		}
		var s qShape
		_ = c.decodeQuery(root, &s, false)
	})
}

func FuzzEC2QueryDecode(f *testing.F) {
	f.Add("InstanceId.1=i-1&Filter.1.Name=n&Filter.1.Value.1=v&DryRun=true")
	f.Add("InstanceId.2=a&InstanceId.1=b&Filter.x.Name=1")
	f.Fuzz(func(t *testing.T, body string) {
		var c shapeCache
		root, err := parseParams(body)
		if err != nil {
			return
		}
		var s ec2Shape
		_ = c.decodeQuery(root, &s, true)
	})
}

type cborShape struct {
	Name   string             `json:"Name" query:",required"`
	Count  *int64             `json:"Count,omitempty"`
	Ratio  float64            `json:"Ratio"`
	When   *Time              `json:"When,omitempty"`
	Blob   []byte             `json:"Blob,omitempty"`
	Tags   []qTag             `json:"Tags,omitempty"`
	Attrs  map[string]string  `json:"Attrs,omitempty"`
	Nested *cborShape         `json:"Nested,omitempty"`
	Obj    map[string]qNested `json:"Obj,omitempty"`
}

// FuzzCBORDecode runs bodies through the full CBOR path of an Endpoint:
// decode, required check, call, encode, and error rendering.
func FuzzCBORDecode(f *testing.F) {
	f.Add([]byte{0xbf, 0x64, 'N', 'a', 'm', 'e', 0x61, 'x', 0xff})
	f.Add([]byte{0xa1, 0x64, 'W', 'h', 'e', 'n', 0xc1, 0xfb, 0x41, 0xd9, 0x54, 0xfc, 0x40, 0, 0, 0})
	f.Add([]byte{0xa0})
	f.Add([]byte{})
	svc := &Service{SigningName: "test", Protocols: []Kind{RPCv2CBOR}, CBORServiceName: "Svc", ValidationCode: "ValidationException"}
	svc.Register(Op("Echo", func(ctx context.Context, in *cborShape) (*cborShape, error) { return in, nil }))
	ep, err := NewEndpoint(svc, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/service/Svc/operation/Echo", bytes.NewReader(body))
		r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		r.Header.Set("Content-Type", "application/cbor")
		w := httptest.NewRecorder()
		ep.Serve(context.Background(), w, r, body)
		if w.Code >= 500 {
			t.Fatalf("status %d for client input: %x", w.Code, w.Body.Bytes())
		}
	})
}
