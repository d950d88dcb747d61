package caldav

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// The streamed sanitizer must give exactly what sanitizeXML gives for the whole body,
// however the body is cut into reads: a character reference or a UTF-8 sequence split
// between two reads is judged whole.
func TestSanitizeReaderMatchesWholeBody(t *testing.T) {
	cases := [][]byte{
		[]byte("<a>plain text</a>"),
		[]byte("<a>esc \x1b[31m red &#27; &#x1B; kept &#60; &#x10FFFF; &#xFFFE;</a>"),
		[]byte("bad utf8 \xff\xfe and split é ü 漢字 😀 \xef\xbf\xbe \xef\xbf\xbf end"),
		bytes.Repeat([]byte("x&#27;é\x01"), 20000),
		[]byte("truncated at the end \xe6\xbc"),
		[]byte("&#"),
		[]byte("&#12345678901234;"),
	}
	for i, in := range cases {
		want := sanitizeXML(in)
		for name, r := range map[string]io.Reader{
			"one byte": iotest.OneByteReader(bytes.NewReader(in)),
			"half":     iotest.HalfReader(bytes.NewReader(in)),
			"whole":    bytes.NewReader(in),
		} {
			got, err := io.ReadAll(newSanitizeReader(r))
			if err != nil {
				t.Fatalf("case %d %s: %v", i, name, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("case %d read %s: streamed output differs from sanitizeXML\n got %q\nwant %q", i, name, trim(got), trim(want))
			}
		}
	}
}

func FuzzSanitizeReader(f *testing.F) {
	f.Add([]byte("a&#27;b\x1b\xffé"), uint8(3))
	f.Fuzz(func(t *testing.T, in []byte, step uint8) {
		n := int(step%17) + 1
		got, err := io.ReadAll(newSanitizeReader(&chunkReader{b: in, n: n}))
		if err != nil {
			t.Fatal(err)
		}
		if want := sanitizeXML(in); !bytes.Equal(got, want) {
			t.Fatalf("reads of %d: got %q want %q", n, got, want)
		}
	})
}

type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}

func trim(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}
