// The Go side of bench/template.sh: parses and executes the same template set as
// kots-template's `template_bench` example, with Go's text/template and sprig, and prints the
// same figures. A bench tool only: the product never needs Go.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/template"
	"time"

	"github.com/Masterminds/sprig"
)

type input struct {
	Templates []struct {
		Name string `json:"name"`
		Text string `json:"text"`
	} `json:"templates"`
	Data       interface{} `json:"data"`
	Iterations int         `json:"iterations"`
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var in input
	if err := json.Unmarshal(raw, &in); err != nil {
		panic(err)
	}
	funcs := sprig.TxtFuncMap()
	var sets []*template.Template
	start := time.Now()
	for i := 0; i < in.Iterations; i++ {
		sets = sets[:0]
		for _, t := range in.Templates {
			parsed, err := template.New(t.Name).Funcs(funcs).Parse(t.Text)
			if err != nil {
				panic(err)
			}
			sets = append(sets, parsed)
		}
	}
	parse := time.Since(start)
	var bytes int
	start = time.Now()
	for i := 0; i < in.Iterations; i++ {
		for _, t := range sets {
			w := &counter{}
			if err := t.Execute(w, in.Data); err != nil {
				panic(err)
			}
			bytes += w.n
		}
	}
	render := time.Since(start)
	fmt.Printf("%.1f %.1f %d\n", parse.Seconds()*1000, render.Seconds()*1000, bytes/in.Iterations)
}

type counter struct{ n int }

func (c *counter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

var _ io.Writer = (*counter)(nil)
