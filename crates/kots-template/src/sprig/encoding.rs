use crate::func::FuncMap;

pub(super) fn register(_map: &mut FuncMap) {}
