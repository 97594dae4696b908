// The oracle of kots-helm's YAML differential tests: go-yaml v2 (Debian's gopkg.in/yaml.v2)
// under a faithful copy of sigs.k8s.io/yaml's conversions, which is what Helm reads values
// and runs toYaml/fromYaml/fromYamlArray with.
//
// One JSON case a line on stdin: {"op": "to_yaml"|"from_yaml"|"from_yaml_array"|
// "from_yaml_to_yaml", "input": "…"}.
// One JSON answer a line on stdout: {"output": "…"} or {"error": "…"}. For to_yaml the input
// is JSON text, read as Helm's values would be held in Go (integers as int64, numbers with a
// fraction or exponent as float64); the output is sigs.k8s.io/yaml.Marshal's text. For the
// from_* ops the input is YAML text and the output is the JSON text (encoding/json) of what
// sigs.k8s.io/yaml.Unmarshal put into a map[string]interface{} ([]interface{}); from_yaml_to_yaml
// is Marshal of that map (Helm's `toYaml .Values`).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"

	yaml "gopkg.in/yaml.v2"
)

type request struct {
	Op    string `json:"op"`
	Input string `json:"input"`
}

type answer struct {
	Output *string `json:"output,omitempty"`
	Error  *string `json:"error,omitempty"`
}

// ---- sigs.k8s.io/yaml (yaml.go), as of v1.4.0 ----

func Marshal(o interface{}) ([]byte, error) {
	j, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("error marshaling into JSON: %v", err)
	}
	y, err := JSONToYAML(j)
	if err != nil {
		return nil, fmt.Errorf("error converting JSON to YAML: %v", err)
	}
	return y, nil
}

func JSONToYAML(j []byte) ([]byte, error) {
	var jsonObj interface{}
	err := yaml.Unmarshal(j, &jsonObj)
	if err != nil {
		return nil, err
	}
	return yaml.Marshal(jsonObj)
}

func Unmarshal(y []byte, o interface{}) error {
	vo := reflect.ValueOf(o)
	j, err := yamlToJSON(y, &vo, yaml.Unmarshal)
	if err != nil {
		return fmt.Errorf("error converting YAML to JSON: %v", err)
	}
	err = jsonUnmarshal(bytes.NewReader(j), o)
	if err != nil {
		return fmt.Errorf("error unmarshaling JSON: %v", err)
	}
	return nil
}

func jsonUnmarshal(r *bytes.Reader, o interface{}) error {
	d := json.NewDecoder(r)
	if err := d.Decode(&o); err != nil {
		return fmt.Errorf("while decoding JSON: %v", err)
	}
	return nil
}

func yamlToJSON(y []byte, jsonTarget *reflect.Value, yamlUnmarshal func([]byte, interface{}) error) ([]byte, error) {
	var yamlObj interface{}
	err := yamlUnmarshal(y, &yamlObj)
	if err != nil {
		return nil, err
	}
	jsonObj, err := convertToJSONableObject(yamlObj, jsonTarget)
	if err != nil {
		return nil, err
	}
	return json.Marshal(jsonObj)
}

// The target of every conversion here is a map[string]interface{} or an []interface{}, whose
// elements are interface{}: never a string, so sigs' number-to-string coercion never applies
// (the code for it is kept to show that).
func convertToJSONableObject(yamlObj interface{}, jsonTarget *reflect.Value) (interface{}, error) {
	var err error
	if jsonTarget != nil {
		t := *jsonTarget
		for t.Kind() == reflect.Ptr || t.Kind() == reflect.Interface && !t.IsNil() {
			t = t.Elem()
		}
		jsonTarget = &t
	}
	switch typedYAMLObj := yamlObj.(type) {
	case map[interface{}]interface{}:
		strMap := make(map[string]interface{})
		for k, v := range typedYAMLObj {
			var keyString string
			switch typedKey := k.(type) {
			case string:
				keyString = typedKey
			case int:
				keyString = strconv.Itoa(typedKey)
			case int64:
				keyString = strconv.FormatInt(typedKey, 10)
			case float64:
				s := strconv.FormatFloat(typedKey, 'g', -1, 32)
				switch s {
				case "+Inf":
					s = ".inf"
				case "-Inf":
					s = "-.inf"
				case "NaN":
					s = ".nan"
				}
				keyString = s
			case bool:
				if typedKey {
					keyString = "true"
				} else {
					keyString = "false"
				}
			default:
				return nil, fmt.Errorf("unsupported map key of type: %s, key: %+#v, value: %+#v",
					reflect.TypeOf(k), k, v)
			}
			if jsonTarget != nil && jsonTarget.Kind() == reflect.Map {
				jtv := reflect.Zero(jsonTarget.Type().Elem())
				strMap[keyString], err = convertToJSONableObject(v, &jtv)
			} else {
				strMap[keyString], err = convertToJSONableObject(v, nil)
			}
			if err != nil {
				return nil, err
			}
		}
		return strMap, nil
	case []interface{}:
		var jsonSliceElemValue *reflect.Value
		if jsonTarget != nil && jsonTarget.Kind() == reflect.Slice {
			ev := reflect.Indirect(reflect.New(jsonTarget.Type().Elem()))
			jsonSliceElemValue = &ev
		}
		arr := make([]interface{}, len(typedYAMLObj))
		for i, v := range typedYAMLObj {
			arr[i], err = convertToJSONableObject(v, jsonSliceElemValue)
			if err != nil {
				return nil, err
			}
		}
		return arr, nil
	default:
		if jsonTarget != nil && jsonTarget.Kind() == reflect.String {
			var s string
			switch typedVal := typedYAMLObj.(type) {
			case int:
				s = strconv.FormatInt(int64(typedVal), 10)
			case int64:
				s = strconv.FormatInt(typedVal, 10)
			case float64:
				s = strconv.FormatFloat(typedVal, 'g', -1, 32)
			case uint64:
				s = strconv.FormatUint(typedVal, 10)
			case bool:
				if typedVal {
					s = "true"
				} else {
					s = "false"
				}
			}
			if len(s) > 0 {
				yamlObj = interface{}(s)
			}
		}
		return yamlObj, nil
	}
}

// ---- the cases ----

// goValue turns JSON numbers into what Helm's values hold: int64 for integers (a template's
// arithmetic), float64 for the rest (Helm's values read from YAML).
func goValue(v interface{}) interface{} {
	switch t := v.(type) {
	case json.Number:
		s := t.String()
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i
			}
			if u, err := strconv.ParseUint(s, 10, 64); err == nil {
				return u
			}
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f
	case map[string]interface{}:
		for k, e := range t {
			t[k] = goValue(e)
		}
		return t
	case []interface{}:
		for i, e := range t {
			t[i] = goValue(e)
		}
		return t
	}
	return v
}

func run(req request) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("PANIC: %v", r)
		}
	}()
	switch req.Op {
	case "to_yaml":
		d := json.NewDecoder(strings.NewReader(req.Input))
		d.UseNumber()
		var v interface{}
		if err := d.Decode(&v); err != nil {
			return "", fmt.Errorf("BAD CASE: %v", err)
		}
		y, err := Marshal(goValue(v))
		return string(y), err
	case "from_yaml":
		m := map[string]interface{}{}
		if err := Unmarshal([]byte(req.Input), &m); err != nil {
			return "", err
		}
		j, err := json.Marshal(m)
		return string(j), err
	case "from_yaml_to_yaml":
		m := map[string]interface{}{}
		if err := Unmarshal([]byte(req.Input), &m); err != nil {
			return "", err
		}
		y, err := Marshal(m)
		return string(y), err
	case "from_yaml_array":
		a := []interface{}{}
		if err := Unmarshal([]byte(req.Input), &a); err != nil {
			return "", err
		}
		j, err := json.Marshal(a)
		return string(j), err
	}
	return "", fmt.Errorf("BAD CASE: op %q", req.Op)
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var req request
			var a answer
			if e := json.Unmarshal(line, &req); e != nil {
				s := "BAD CASE: " + e.Error()
				a.Error = &s
			} else if o, e := run(req); e != nil {
				s := e.Error()
				a.Error = &s
			} else {
				a.Output = &o
			}
			enc.Encode(a)
		}
		if err != nil {
			break
		}
	}
}
