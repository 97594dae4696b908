//! The executor, as Go's `text/template/exec.go`.

use crate::{Error, Templates, Value};

pub(crate) fn execute(templates: &Templates, name: &str, _data: &Value) -> Result<String, Error> {
    Err(Error::NoTemplate { name: name.to_string(), set: templates.names().join(",") })
}
