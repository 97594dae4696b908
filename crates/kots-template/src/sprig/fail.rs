//! sprig's `fail`: stops the render with the given message (`fail "x is required"`), the one
//! function of sprig's flow-control family.

use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::value::GoType;

pub(super) fn register(map: &mut FuncMap) {
    // sprig: `func(msg string) (string, error) { return "", errors.New(msg) }`.
    map.add("fail", vec![GoType::String], |_, a| Err(FuncError::new(a.str_arg(0)?)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    #[test]
    fn fail_returns_its_message_as_the_error() {
        let mut map = FuncMap::new();
        register(&mut map);
        assert_eq!(map.call("fail", &[Value::string("no way")]).unwrap_err().0, "no way");
        assert_eq!(map.call("fail", &[Value::string("")]).unwrap_err().0, "");
    }
}
