package s3

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
)

const testBoundary = "----nimbusFormBoundary7MA4YWxkTrZu0gW"

// formBody builds a body by hand: each part is "name=value" (a field) or
// "file=content" (the file part, with a filename), joined with CRLF
// delimiters; tail follows the last part ("--\r\n" closes the form).
func formBody(tail string, parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		name, value, _ := strings.Cut(p, "=")
		b.WriteString("--" + testBoundary + "\r\n")
		if name == "file" {
			b.WriteString(`Content-Disposition: form-data; name="file"; filename="cat.jpg"` + "\r\nContent-Type: image/jpeg\r\n\r\n")
		} else {
			b.WriteString(`Content-Disposition: form-data; name="` + name + "\"\r\n\r\n")
		}
		b.WriteString(value + "\r\n")
	}
	return strings.TrimSuffix(b.String(), "\r\n") + "\r\n--" + testBoundary + tail
}

// readForm reads a form and its whole file.
func readForm(body io.Reader, length int64) (*postForm, string, error) {
	f, err := readPostForm(body, testBoundary, length)
	if err != nil {
		return nil, "", err
	}
	content, err := io.ReadAll(f.file)
	return f, string(content), err
}

func TestReadPostForm(t *testing.T) {
	tricky := "a\r\n--" + testBoundary + "X not a delimiter\r\n--" + testBoundary[:10] + "\r\n-" // boundary text inside content
	large := strings.Repeat("L", postReadBuffer) + tricky                                        // ends past the lookahead
	tests := []struct {
		name    string
		body    string
		fields  map[string]string
		file    string
		wrapper func(io.Reader) io.Reader
	}{
		{name: "browser form", body: formBody("--\r\n", "key=user/${filename}", "Content-Type=image/jpeg", "file=JPEG DATA"),
			fields: map[string]string{"key": "user/${filename}", "content-type": "image/jpeg"}, file: "JPEG DATA"},
		{name: "no final line break", body: formBody("--", "key=k", "file=x"), fields: map[string]string{"key": "k"}, file: "x"},
		{name: "empty file", body: formBody("--\r\n", "key=k", "file="), fields: map[string]string{"key": "k"}, file: ""},
		{name: "fields after the file are ignored", body: formBody("--\r\n", "key=k", "file=data", "submit=Upload"), fields: map[string]string{"key": "k"}, file: "data"},
		{name: "epilogue", body: formBody("--\r\nthat was all\r\n", "key=k", "file=data"), fields: map[string]string{"key": "k"}, file: "data"},
		{name: "preamble", body: "This is a preamble.\r\n" + formBody("--\r\n", "key=k", "file=data"), fields: map[string]string{"key": "k"}, file: "data"},
		{name: "boundary text in the file", body: formBody("--\r\n", "key=k", "file="+tricky), fields: map[string]string{"key": "k"}, file: tricky},
		{name: "large file, canonical end", body: formBody("--\r\n", "key=k", "file="+large), fields: map[string]string{"key": "k"}, file: large},
		{name: "large file one byte at a time", body: formBody("--\r\n", "key=k", "file="+large), fields: map[string]string{"key": "k"},
			file: large, wrapper: iotest.OneByteReader},
		{name: "half reads", body: formBody("--\r\n", "x-amz-meta-a=1", "file="+strings.Repeat("\r\n-", 50000)), fields: map[string]string{"x-amz-meta-a": "1"},
			file: strings.Repeat("\r\n-", 50000), wrapper: iotest.HalfReader},
		{name: "small file one byte at a time, field after it", body: formBody("--", "key=k", "file="+tricky, "submit=go"), fields: map[string]string{"key": "k"},
			file: tricky, wrapper: iotest.OneByteReader},
		{name: "field names fold case", body: formBody("--\r\n", "X-Amz-Meta-Color=Blue", "File=data"), fields: map[string]string{"x-amz-meta-color": "Blue"}, file: "data"},
		{name: "whitespace after a delimiter", body: strings.Replace(formBody("--\r\n", "key=k", "file=data"), testBoundary+"\r\nContent-Disposition: form-data; name=\"file\"",
			testBoundary+" \t\r\nContent-Disposition: form-data; name=\"file\"", 1), fields: map[string]string{"key": "k"}, file: "data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(tt.body)
			if tt.wrapper != nil {
				r = tt.wrapper(r)
			}
			f, file, err := readForm(r, int64(len(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.fields) != len(tt.fields) {
				t.Fatalf("fields = %v, want %v", f.fields, tt.fields)
			}
			for k, v := range tt.fields {
				if f.fields[k] != v {
					t.Fatalf("fields = %v, want %v", f.fields, tt.fields)
				}
			}
			if file != tt.file || f.fileSize != int64(len(tt.file)) {
				t.Fatalf("file = %d bytes %q, size %d, want %d bytes %q", len(file), file[:min(len(file), 40)], f.fileSize, len(tt.file), tt.file[:min(len(tt.file), 40)])
			}
		})
	}
}

func TestReadPostFormSDKWriter(t *testing.T) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("key", "a")
	fw, _ := w.CreateFormFile("file", "a.bin")
	content := bytes.Repeat([]byte{0, '\r', '\n', '-'}, 1<<16)
	fw.Write(content)
	w.Close()
	f, err := readPostForm(bytes.NewReader(b.Bytes()), w.Boundary(), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f.file)
	if err != nil || !bytes.Equal(got, content) || f.fileName != "a.bin" || f.fileSize != int64(len(content)) {
		t.Fatalf("file %d bytes (%v), name %q, size %d", len(got), err, f.fileName, f.fileSize)
	}
}

func TestReadPostFormErrors(t *testing.T) {
	big := strings.Repeat("v", maxPostFormData)
	large := strings.Repeat("L", 2*postReadBuffer)
	tests := []struct {
		name, body string
		code       string
		inFile     bool // the error comes while reading the file
	}{
		{name: "no file", body: formBody("--\r\n", "key=k"), code: "IncorrectNumberOfFilesInPostRequest"},
		{name: "empty form", body: "--" + testBoundary + "--\r\n", code: "IncorrectNumberOfFilesInPostRequest"},
		{name: "repeated field", body: formBody("--\r\n", "key=a", "Key=b", "file=x"), code: "InvalidArgument"},
		{name: "fields too large", body: formBody("--\r\n", "key="+big, "file=x"), code: "MaxPostPreDataLengthExceededError"},
		{name: "many small fields", body: formBody("--\r\n", strings.Split(strings.Repeat("x-amz-meta-a=1,", 400)+"file=x", ",")...), code: "InvalidArgument"},
		{name: "header line too long", body: "--" + testBoundary + "\r\nX-Long: " + strings.Repeat("h", postReadBuffer) + "\r\n", code: "MaxPostPreDataLengthExceededError"},
		{name: "no boundary at all", body: "just some text", code: "MalformedPOSTRequest"},
		{name: "no content-disposition", body: "--" + testBoundary + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + testBoundary + "--\r\n", code: "MalformedPOSTRequest"},
		{name: "not form-data", body: "--" + testBoundary + "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--" + testBoundary + "--\r\n", code: "MalformedPOSTRequest"},
		{name: "header without colon", body: "--" + testBoundary + "\r\nbogus\r\n\r\n", code: "MalformedPOSTRequest"},
		{name: "junk after a delimiter", body: "--" + testBoundary + "junk\r\n", code: "MalformedPOSTRequest"},
		{name: "headers cut short", body: "--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"key\"", code: "MalformedPOSTRequest"},
		{name: "field cut short", body: "--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nabc", code: "MalformedPOSTRequest"},
		{name: "file cut short", body: formBody("--\r\n", "key=k", "file="+big)[:len(formBody("--\r\n", "key=k", "file="+big))-60], code: "MalformedPOSTRequest", inFile: true},
		{name: "length too short for a delimiter", body: formBody("--\r\n", "key=k", "file=data")[:len(formBody("--\r\n", "key=k", "file=data"))-12], code: "MalformedPOSTRequest"},
		{name: "file without closing", body: formBody("", "key=k", "file=data"), code: "MalformedPOSTRequest", inFile: true},
		{name: "too much after the file", body: formBody("--\r\n", "key=k", "file=data", "submit="+big), code: "MalformedPOSTRequest", inFile: true},
		{name: "field after a large file", body: formBody("--\r\n", "key=k", "file="+large, "submit=go"), code: "MalformedPOSTRequest", inFile: true},
		{name: "large file without the final CRLF", body: formBody("--", "key=k", "file="+large), code: "MalformedPOSTRequest", inFile: true},
		{name: "large file with an epilogue", body: formBody("--\r\nbye", "key=k", "file="+large), code: "MalformedPOSTRequest", inFile: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := readPostForm(strings.NewReader(tt.body), testBoundary, int64(len(tt.body)))
			if tt.inFile {
				if err != nil {
					t.Fatalf("form: %v", err)
				}
				_, err = io.ReadAll(f.file)
			}
			e, ok := awserr.As(err)
			if !ok || e.Code != tt.code || e.Status != 400 {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
		})
	}
	// The many-small-fields case above hits the repeated-name check first;
	// distinct names past the limit hit the size limit.
	var parts []string
	for i := 0; len(strings.Join(parts, "")) < 2*maxPostFormData; i++ {
		parts = append(parts, "x-amz-meta-"+strings.Repeat("n", 40)+string(rune('a'+i%26))+strings.Repeat("m", i/26)+"=1")
	}
	body := formBody("--\r\n", append(parts, "file=x")...)
	if _, err := readPostForm(strings.NewReader(body), testBoundary, int64(len(body))); err == nil || !strings.Contains(err.Error(), "MaxPostPreDataLengthExceededError") {
		t.Fatalf("many fields: %v", err)
	}

	// A body cut by the client is IncompleteBody; the gateway's own errors
	// pass through.
	cut := formBody("--\r\n", "key=k", "file="+strings.Repeat("d", 1000))
	f, err := readPostForm(io.MultiReader(strings.NewReader(cut[:500]), iotest.ErrReader(io.ErrUnexpectedEOF)), testBoundary, int64(len(cut)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(f.file); err == nil || !strings.Contains(err.Error(), "IncompleteBody") {
		t.Fatalf("cut body: %v", err)
	}
	gwErr := awserr.New(400, "XAmzContentSHA256Mismatch", "mismatch")
	f, _ = readPostForm(io.MultiReader(strings.NewReader(cut[:500]), iotest.ErrReader(gwErr)), testBoundary, int64(len(cut)))
	if _, err := io.ReadAll(f.file); !errors.Is(err, gwErr) {
		t.Fatalf("gateway error: %v", err)
	}
	for _, b := range []string{"", strings.Repeat("b", 71)} {
		if _, err := readPostForm(strings.NewReader(cut), b, int64(len(cut))); err == nil {
			t.Fatalf("boundary %q accepted", b)
		}
	}
}

// FuzzPostForm feeds client-controlled bodies to the form reader: it must
// not panic, fail only with S3 errors, yield exactly fileSize bytes, and
// never hand out a delimiter as file content.
func FuzzPostForm(f *testing.F) {
	for _, s := range []string{
		formBody("--\r\n", "key=k", "policy=e30=", "file=data"),
		formBody("--", "key=k", "file=\r\n--"+testBoundary+"X"),
		formBody("--\r\nepilogue", "key=k", "file=", "submit=x"),
		"preamble\r\n" + formBody("--\r\n", "file=x"),
		"--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"a\"; filename=\"\\\"q\"\r\n\r\n\r\n--" + testBoundary + "--",
		"--" + testBoundary + "--",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := readPostForm(bytes.NewReader(body), testBoundary, int64(len(body)))
		if err != nil {
			if _, ok := awserr.As(err); !ok {
				t.Fatalf("readPostForm: non-S3 error %v", err)
			}
			return
		}
		content, err := io.ReadAll(form.file)
		if err != nil {
			if _, ok := awserr.As(err); !ok {
				t.Fatalf("file: non-S3 error %v", err)
			}
			return
		}
		if int64(len(content)) != form.fileSize {
			t.Fatalf("file of %d bytes, fileSize %d", len(content), form.fileSize)
		}
		delim := "\r\n--" + testBoundary
		for i := 0; ; {
			j := bytes.Index(content[i:], []byte(delim))
			if j < 0 {
				break
			}
			next := content[i+j+len(delim):]
			if len(next) > 0 && strings.IndexByte(" \t\r\n", next[0]) >= 0 || bytes.HasPrefix(next, []byte("--")) {
				t.Fatalf("file content holds a delimiter at %d", i+j)
			}
			i += j + 1
		}
	})
}
