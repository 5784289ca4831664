package s3

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
)

// maxPostFormData bounds a POST form's data and boundaries outside the
// file's content, before and after it (S3: 20 KB).
const maxPostFormData = 20 << 10

// postReadBuffer is the form reader's buffer: it bounds one header line,
// and sets the size of the reads that stream the file.
const postReadBuffer = 64 << 10

func errMalformedPOST() error {
	return awserr.New(http.StatusBadRequest, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")
}

func errPostPreData() error {
	return awserr.New(http.StatusBadRequest, "MaxPostPreDataLengthExceededError", "Your POST request fields preceding the upload file were too large.")
}

// postForm is a multipart/form-data body read up to its file part: the
// fields before it, and the file's content as a stream of known length.
type postForm struct {
	fields   map[string]string // by lower-case name
	fileName string            // the file part's filename parameter
	// fileSize is the file's exact length; see readPostForm.
	fileSize int64
	// file yields exactly fileSize bytes, then returns io.EOF only once
	// the rest of the request was read and is as fileSize assumed.
	file io.Reader
}

// readPostForm reads body, of length bytes, as multipart/form-data with
// boundary until the part named "file" begins, without consuming any of
// the file. Field names are case-insensitive; a field given twice is
// refused. Memory is the read buffer and the form-data limit, whatever
// the file's size.
//
// Storage needs the file's length before its first byte, and a form does
// not declare it: the file ends where the next delimiter appears. So:
//
//   - when the file ends within postReadBuffer bytes of its start (less
//     the delimiter's length), the delimiter is found by looking ahead, and
//     the length is exact whatever follows the file (fields S3 ignores,
//     an epilogue), up to the form-data limit;
//   - otherwise the length is derived from the request's length, assuming
//     the body ends with the closing delimiter and a CRLF
//     ("\r\n--boundary--\r\n", as browsers, curl and the common libraries
//     send it). The file reader verifies that assumption; a body that ends
//     otherwise (fields after a large file) fails with
//     MalformedPOSTRequest once its end is reached, storing nothing.
func readPostForm(body io.Reader, boundary string, length int64) (*postForm, error) {
	if boundary == "" || len(boundary) > 70 {
		return nil, errMalformedPOST()
	}
	src := &countingReader{r: body}
	f := &formReader{src: src, br: bufio.NewReaderSize(src, postReadBuffer), delim: []byte("\r\n--" + boundary)}
	// The first delimiter may open the body without its CRLF; anything
	// before it is a preamble to skip.
	if head, err := f.br.Peek(len(f.delim) - 2); err == nil && bytes.Equal(head, f.delim[2:]) {
		_, _ = f.br.Discard(len(head))
	} else if err := f.skipPart(); err != nil {
		return nil, err
	}
	form := &postForm{fields: map[string]string{}}
	for {
		last, err := f.afterDelimiter()
		if err != nil {
			return nil, err
		}
		if last {
			return nil, awserr.New(http.StatusBadRequest, "IncorrectNumberOfFilesInPostRequest", "POST requires exactly one file upload per request.")
		}
		name, filename, err := f.partHeader()
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(name, "file") {
			start := f.offset()
			file := &fileReader{part: partReader{f: f}, f: f, budget: maxPostFormData - start}
			if size, ok := f.lookahead(length - start); ok {
				file.left = size
			} else {
				file.left = length - start - int64(len(f.delim)) - int64(len(canonicalEnd))
				file.canonical = true
			}
			if file.left < 0 {
				return nil, errMalformedPOST()
			}
			form.fileName, form.fileSize, form.file = filename, file.left, file
			return form, nil
		}
		value, err := f.fieldValue()
		if err != nil {
			return nil, err
		}
		name = strings.ToLower(name)
		if _, dup := form.fields[name]; dup {
			return nil, awserr.New(http.StatusBadRequest, "InvalidArgument", "POST form field '%s' appears more than once.", trimArg(name))
		}
		form.fields[name] = value
	}
}

// canonicalEnd is what follows the closing boundary's delimiter at the
// end of a body as browsers send it.
const canonicalEnd = "--\r\n"

// formReader is the state shared by a form's parts.
type formReader struct {
	src     *countingReader
	br      *bufio.Reader
	delim   []byte // "\r\n--" + boundary
	readErr error  // the body's error, once it has none left to give
}

// offset is how many bytes of the body the parts have consumed.
func (f *formReader) offset() int64 { return f.src.n - int64(f.br.Buffered()) }

func (f *formReader) overBudget() bool { return f.offset() > maxPostFormData }

// afterDelimiter reads what follows a delimiter: "--" ends the form (it
// reports last), else optional whitespace and a line break.
func (f *formReader) afterDelimiter() (last bool, err error) {
	if b, err := f.br.Peek(2); err == nil && string(b) == "--" {
		return true, nil
	}
	line, err := f.line()
	if err != nil {
		return false, err
	}
	if len(bytes.Trim(line, " \t")) != 0 {
		return false, errMalformedPOST()
	}
	return false, nil
}

// line reads one line, without its line break, within the form-data limit.
func (f *formReader) line() ([]byte, error) {
	line, err := f.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, errPostPreData()
	case err != nil:
		return nil, bodyError(err)
	case f.overBudget():
		return nil, errPostPreData()
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
	return line, nil
}

// partHeader reads a part's header lines and returns its form-data name
// and filename.
func (f *formReader) partHeader() (name, filename string, err error) {
	seen := false
	for {
		line, err := f.line()
		if err != nil {
			return "", "", err
		}
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return "", "", errMalformedPOST()
		}
		if !strings.EqualFold(string(bytes.TrimSpace(k)), "Content-Disposition") {
			continue // Content-Type and others: S3 takes nothing from them
		}
		disp, params, err := mime.ParseMediaType(string(bytes.TrimSpace(v)))
		if err != nil || disp != "form-data" || params["name"] == "" || seen {
			return "", "", errMalformedPOST()
		}
		seen = true
		name, filename = params["name"], params["filename"]
	}
	if !seen {
		return "", "", errMalformedPOST()
	}
	return name, filename, nil
}

// fieldValue reads a field's content within the form-data limit.
func (f *formReader) fieldValue() (string, error) {
	budget := maxPostFormData - f.offset()
	v, err := io.ReadAll(io.LimitReader(&partReader{f: f}, budget+1))
	if err != nil {
		return "", err
	}
	if int64(len(v)) > budget || f.overBudget() {
		return "", errPostPreData()
	}
	return string(v), nil
}

// skipPart discards a part's content (the preamble) within the limit.
func (f *formReader) skipPart() error {
	_, err := f.fieldValue()
	return err
}

// lookahead looks for the end of the part that starts here within the
// read buffer (remaining is what is left of the body), and returns its
// length when it is there.
func (f *formReader) lookahead(remaining int64) (int64, bool) {
	buf, err := f.br.Peek(int(min(remaining, int64(f.br.Size()))))
	n, found := scanPart(buf, f.delim, err != nil || int64(len(buf)) == remaining)
	return int64(n), found
}

// partReader yields a part's content: the bytes up to the next delimiter,
// which it consumes before returning io.EOF.
type partReader struct {
	f    *formReader
	done bool
	err  error
}

func (p *partReader) Read(b []byte) (int, error) {
	if p.done {
		return 0, io.EOF
	}
	if p.err != nil {
		return 0, p.err
	}
	if len(b) == 0 {
		return 0, nil
	}
	f := p.f
	for {
		buf, _ := f.br.Peek(f.br.Buffered())
		atEOF := f.readErr != nil
		// Scan only what this read can return, and enough to decide on a
		// delimiter right after it: small reads stay linear.
		if window := len(b) + len(f.delim) + 2; len(buf) > window {
			buf, atEOF = buf[:window], false
		}
		n, found := scanPart(buf, f.delim, atEOF)
		switch {
		case n > 0:
			k := copy(b, buf[:n])
			_, _ = f.br.Discard(k)
			return k, nil
		case found:
			_, _ = f.br.Discard(len(f.delim))
			p.done = true
			return 0, io.EOF
		case f.readErr != nil:
			p.err = bodyError(f.readErr)
			return 0, p.err
		}
		if _, err := f.br.Peek(len(buf) + 1); err != nil {
			f.readErr = err
		}
	}
}

// scanPart finds where a part's content ends in buf: n bytes of buf are
// content for sure, and found says the delimiter starts right after them.
// A delimiter counts only when followed by "--", whitespace or a line
// break; when buf ends too soon to tell, the bytes from a possible
// delimiter on are held back (unless atEOF: nothing more will come).
func scanPart(buf, delim []byte, atEOF bool) (n int, found bool) {
	from := 0
	for {
		i := bytes.Index(buf[from:], delim)
		if i < 0 {
			// A delimiter may begin in the last len(delim)-1 bytes.
			hold := min(len(delim)-1, len(buf)-from)
			if atEOF {
				hold = 0
			}
			return len(buf) - hold, false
		}
		i += from
		rest := buf[i+len(delim):]
		switch {
		case len(rest) == 0 || len(rest) == 1 && rest[0] == '-':
			return i, atEOF
		case rest[0] == '-' && rest[1] == '-', rest[0] == ' ', rest[0] == '\t', rest[0] == '\r', rest[0] == '\n':
			return i, true
		}
		from = i + 1 // the boundary's text inside content
	}
}

// fileReader yields the file part's content, exactly left bytes of it,
// then checks the rest of the request before reporting io.EOF.
type fileReader struct {
	part      partReader
	f         *formReader
	left      int64 // bytes of the file still to yield
	canonical bool  // left assumed the body ends with the delimiter and canonicalEnd
	budget    int64 // form data allowed after the file
	done      bool
	err       error
}

func (r *fileReader) Read(b []byte) (int, error) {
	switch {
	case r.done:
		return 0, io.EOF
	case r.err != nil:
		return 0, r.err
	case r.left == 0:
		if r.err = r.finish(); r.err != nil {
			return 0, r.err
		}
		r.done = true
		return 0, io.EOF
	case len(b) == 0:
		return 0, nil
	}
	if int64(len(b)) > r.left {
		b = b[:r.left]
	}
	n, err := r.part.Read(b)
	r.left -= int64(n)
	if err == io.EOF { // the file ended before its assumed length
		err = r.notLast()
	}
	r.err = err
	return n, err
}

// finish checks that the file ends here and reads what follows it (the
// closing delimiter, or further parts S3 ignores, and any epilogue) to
// the body's end.
func (r *fileReader) finish() error {
	var one [1]byte
	switch n, err := r.part.Read(one[:]); {
	case n > 0: // the file goes on past its assumed length
		return r.notLast()
	case err != io.EOF:
		return err
	}
	rest, err := io.ReadAll(io.LimitReader(r.f.br, r.budget+1))
	switch {
	case err != nil:
		return bodyError(err)
	case int64(len(rest)) > r.budget:
		return awserr.New(http.StatusBadRequest, "MalformedPOSTRequest", "The form data after the file field exceed the %d bytes allowed.", maxPostFormData)
	case len(rest) < 2: // "--" or a line break at least
		return errMalformedPOST()
	case r.canonical && string(rest) != canonicalEnd:
		return r.notLast()
	}
	return nil
}

// notLast is the failure of a length assumed from the request's.
func (r *fileReader) notLast() error {
	if !r.canonical {
		return errMalformedPOST()
	}
	return awserr.New(http.StatusBadRequest, "MalformedPOSTRequest",
		"The body of your POST request is not well-formed multipart/form-data: a file larger than %d KiB must be the last field, followed only by the closing boundary and CRLF.", postReadBuffer>>10)
}

// bodyError renders a failure to read the body: a short or stalled body is
// IncompleteBody, an S3 error from the gateway's verification stays as is,
// and an end of body where more form was due is a malformed form.
func bodyError(err error) error {
	switch {
	case err == io.EOF:
		return errMalformedPOST()
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, os.ErrDeadlineExceeded):
		return awserr.New(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	}
	return err
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func trimArg(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
