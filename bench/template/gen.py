"""Writes the template set bench/template.sh renders: N templates shaped like the manifests of
KOTS releases and Helm charts (labels, ranges over lists and maps, if/else chains, printf,
pipelines of common sprig functions), and values data like a chart's. Deterministic."""
import json
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 20
rng = random.Random(15)

BLOCKS = [
    'metadata:\n  name: {{ .name | lower | trunc 63 | trimSuffix "-" }}\n  labels:\n{{- range $k, $v := .labels }}\n    {{ $k }}: {{ $v | quote }}\n{{- end }}\n',
    'spec:\n  replicas: {{ default 1 .replicas }}\n  template:\n    spec:\n      containers:\n{{- range .containers }}\n        - name: {{ .name }}\n          image: "{{ .image }}:{{ .tag | default "latest" }}"\n          ports:\n{{- range .ports }}\n            - containerPort: {{ . }}\n{{- end }}\n{{- end }}\n',
    '{{- if .enabled }}\nenabled: true\n{{- else if .fallback }}\nfallback: {{ .fallback | upper }}\n{{- else }}\nenabled: false\n{{- end }}\n',
    'config: {{ toJson .config }}\nchecksum: {{ printf "%s-%d" .name .replicas | sha256sum | trunc 12 }}\n',
    'env:\n{{- range $i, $e := .env }}\n  - name: {{ $e.name | upper | replace "-" "_" }}\n    value: {{ $e.value | quote }}{{ if eq $i 0 }} # first{{ end }}\n{{- end }}\n',
    '{{- $d := dict "a" .name "b" (len .labels) }}\nsummary: {{ $d.a }}/{{ $d.b }} {{ ternary "big" "small" (gt (len .env) 3) }}\nhosts: {{ join "," .hosts }}\nencoded: {{ .name | b64enc }}\n',
    'annotations:\n{{ toYaml .annotations | indent 2 }}\n' if False else 'annotations:\n{{- range $k, $v := .annotations }}\n  {{ $k }}: {{ $v | quote | indent 2 | trim }}\n{{- end }}\n',
]


def word():
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz-") for _ in range(rng.randint(3, 12))).strip("-") or "x"


templates = []
for i in range(n):
    body = "".join(rng.choice(BLOCKS) for _ in range(rng.randint(3, 8)))
    templates.append({"name": f"templates/t{i}.yaml", "text": "---\n" + body})

data = {
    "name": "My-App-Release-Name-That-Is-Long",
    "replicas": 3,
    "enabled": False,
    "fallback": "primary",
    "labels": {f"app.kubernetes.io/{word()}": word() for _ in range(6)},
    "annotations": {f"example.com/{word()}": word() * 3 for _ in range(5)},
    "containers": [
        {"name": word(), "image": f"registry.example.com/{word()}", "tag": "1.2.3", "ports": [80, 443, 8080]}
        for _ in range(3)
    ],
    "env": [{"name": word(), "value": word()} for _ in range(8)],
    "config": {word(): {word(): [1, 2.5, "x", True, None]} for _ in range(4)},
    "hosts": [f"{word()}.example.com" for _ in range(4)],
}
json.dump({"templates": templates, "data": data, "iterations": iterations}, sys.stdout)
