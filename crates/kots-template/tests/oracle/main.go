// The Go oracle for kots-template's differential tests: Go's text/template with sprig's
// TxtFuncMap, run over a batch of cases.
//
// Protocol: one JSON case per line on stdin,
//
//	{"template": "...", "data": <any JSON>, "left": "{{", "right": "}}",
//	 "missingkey": "default|zero|error", "defines": ["..."], "name": "t"}
//
// and one JSON line per case on stdout, in order: {"output": "..."} when the output is valid
// UTF-8, {"output_b64": "..."} when it is not (encoding/json would replace invalid bytes with
// U+FFFD, and the test compares bytes), or {"error": "..."}. Data is decoded with
// encoding/json into interface{} (numbers are float64), as Value::from_json does on the Rust
// side. The defines are parsed first, each as the template "define<i>" of the same set, then
// the main template as NAME, which is executed. A panic in one case is reported as that case's
// error and the batch goes on. Built in GOPATH mode: stdlib and github.com/Masterminds/sprig.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/Masterminds/sprig"
)

type testCase struct {
	Template   string          `json:"template"`
	Data       json.RawMessage `json:"data"`
	Left       string          `json:"left"`
	Right      string          `json:"right"`
	Missingkey string          `json:"missingkey"`
	Defines    []string        `json:"defines"`
	Name       string          `json:"name"`
}

type result struct {
	Output    *string `json:"output,omitempty"`
	OutputB64 *string `json:"output_b64,omitempty"`
	Error     *string `json:"error,omitempty"`
	// A function returned a string that is not UTF-8 along the way.
	InvalidUTF8 bool `json:"invalid_utf8,omitempty"`
}

// A case that runs longer than this is reported as an error (its goroutine is abandoned). Go's
// DSA parameter generation (`genPrivateKey "dsa"`) alone can take several seconds on a loaded
// machine, so the limit is generous: it only has to stop a runaway template.
const caseTimeout = 60 * time.Second

// sprig's functions, each wrapped to notice when one returns a string that is not valid UTF-8
// (b64dec of arbitrary bytes, trunc through a multi-byte character, …). Go's strings are bytes;
// kots-template's are UTF-8, so such a case may differ for that known reason even where the
// final output is valid UTF-8 again (`len`, `%q` of the broken string); the answer says so.
var funcs = wrapAll(sprig.TxtFuncMap())

// Set when a function returned a string that is not UTF-8 during the current case.
var sawInvalidUTF8 bool

func wrapAll(m map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(m))
	for name, f := range m {
		out[name] = wrap(f)
	}
	return out
}

func wrap(f interface{}) interface{} {
	fv := reflect.ValueOf(f)
	ft := fv.Type()
	return reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value {
		var results []reflect.Value
		if ft.IsVariadic() {
			results = fv.CallSlice(args)
		} else {
			results = fv.Call(args)
		}
		for _, r := range results {
			if r.Kind() == reflect.String && !utf8.ValidString(r.String()) {
				sawInvalidUTF8 = true
			}
			if r.Kind() == reflect.Interface && !r.IsNil() && r.Elem().Kind() == reflect.String && !utf8.ValidString(r.Elem().String()) {
				sawInvalidUTF8 = true
			}
		}
		return results
	}).Interface()
}

func run(c *testCase) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("oracle: panic: %v", r)
		}
	}()
	var data interface{}
	if len(c.Data) > 0 {
		if err := json.Unmarshal(c.Data, &data); err != nil {
			return nil, fmt.Errorf("oracle: bad data: %v", err)
		}
	}
	name := c.Name
	if name == "" {
		name = "t"
	}
	mk := c.Missingkey
	if mk == "" {
		mk = "default"
	}
	t := template.New(name).Funcs(funcs).Delims(c.Left, c.Right).Option("missingkey=" + mk)
	for i, d := range c.Defines {
		if _, err := t.New(fmt.Sprintf("define%d", i)).Parse(d); err != nil {
			return nil, err
		}
	}
	if _, err := t.Parse(c.Template); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func runWithTimeout(c *testCase) result {
	sawInvalidUTF8 = false
	r := runWithTimeout1(c)
	r.InvalidUTF8 = sawInvalidUTF8
	return r
}

func runWithTimeout1(c *testCase) result {
	type done struct {
		out []byte
		err error
	}
	ch := make(chan done, 1)
	go func() {
		out, err := run(c)
		ch <- done{out, err}
	}()
	select {
	case d := <-ch:
		if d.err != nil {
			msg := d.err.Error()
			return result{Error: &msg}
		}
		if utf8.Valid(d.out) {
			s := string(d.out)
			return result{Output: &s}
		}
		s := base64.StdEncoding.EncodeToString(d.out)
		return result{OutputB64: &s}
	case <-time.After(caseTimeout):
		msg := "oracle: timeout"
		return result{Error: &msg}
	}
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var c testCase
			var r result
			if jerr := json.Unmarshal(line, &c); jerr != nil {
				msg := "oracle: bad case: " + jerr.Error()
				r = result{Error: &msg}
			} else {
				r = runWithTimeout(&c)
			}
			if eerr := enc.Encode(&r); eerr != nil {
				fmt.Fprintln(os.Stderr, "oracle:", eerr)
				os.Exit(2)
			}
			// Answers go out when no more input is waiting: batched for a batch, at once for
			// a caller that waits for each answer.
			if in.Buffered() == 0 {
				if ferr := w.Flush(); ferr != nil {
					fmt.Fprintln(os.Stderr, "oracle:", ferr)
					os.Exit(2)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "oracle:", err)
			os.Exit(2)
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		os.Exit(2)
	}
}
