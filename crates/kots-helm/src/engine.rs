//! Rendering a chart as Helm's engine does (`pkg/engine`): every template of the chart and its
//! subcharts in one set, each rendered with its own chart's `.Values`, `.Chart`, `.Files` and
//! `.Template`, the release's `.Release` and `.Capabilities`, and Helm's functions on sprig.
