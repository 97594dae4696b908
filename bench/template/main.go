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
	// One set of associated templates sharing one function map, as Helm parses a chart.
	var set *template.Template
	start := time.Now()
	for i := 0; i < in.Iterations; i++ {
		set = template.New("bench").Funcs(funcs)
		for _, t := range in.Templates {
			if _, err := set.New(t.Name).Parse(t.Text); err != nil {
				panic(err)
			}
		}
	}
	parse := time.Since(start)
	var bytes int
	start = time.Now()
	for i := 0; i < in.Iterations; i++ {
		for _, t := range in.Templates {
			w := &counter{}
			if err := set.ExecuteTemplate(w, t.Name, in.Data); err != nil {
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
