//! Values as Helm makes them (`pkg/chart/common/util` `CoalesceValues`, `ToRenderValues`,
//! `pkg/chart/v2/util/dependencies.go` `ProcessDependencies`): the user's values over the
//! chart's defaults, each subchart's under its name (or alias), `global` shared down, `null`
//! deleting a default, dependencies turned off by `condition` and `tags`, `import-values`
//! copied up; then `values.schema.json` checked.
