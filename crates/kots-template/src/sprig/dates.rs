//! sprig's date functions (`date.go`): `now`, `date`, `dateInZone`, `dateModify`, `toDate`,
//! `ago`, `duration`, `durationRound`, `unixEpoch`, `htmlDate`, …, and `time.Time` as a
//! template value (its methods `.Unix`, `.Year`, `.Format "…"`, `.UTC`, `.Add`, …).
//!
//! The clock and layouts are Go's ([`super::go_time`]); what each function accepts (which Go
//! types count as a date, what a bad input turns into) is sprig's, read from its source.

use std::any::Any;
use std::sync::Arc;

pub(crate) mod go_time;

use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::value::{GoType, IntKind, Object, Value};
use go_time::{Location, Time};

/// The Go type name of [`TimeValue`].
pub const TIME_TYPE: &str = "time.Time";

/// A `time.Time` in a template.
#[derive(Debug, Clone)]
pub struct TimeValue(pub Time);

impl TimeValue {
    pub fn value(t: Time) -> Value {
        Value::Object(Arc::new(TimeValue(t)))
    }

    /// Go's `Time.MarshalJSON` (what `toJson`/`toYaml` write for a time): RFC 3339 with
    /// nanoseconds, quoted; an error outside years 0-9999.
    #[allow(dead_code, reason = "for the json family's toJson/toPrettyJson of time values")]
    pub fn go_json(&self) -> Result<String, String> {
        let year = self.0.fields().year;
        if !(0..=9999).contains(&year) {
            return Err("Time.MarshalJSON: year outside of range [0,9999]".to_string());
        }
        Ok(format!("\"{}\"", self.0.format("2006-01-02T15:04:05.999999999Z07:00")))
    }
}

/// A `time.Duration` returned by a method (`.Sub`): prints as `1h2m3s`.
#[derive(Debug, Clone, Copy)]
pub struct DurationValue(pub i64);

/// A `time.Month`: prints as `January`.
#[derive(Debug, Clone, Copy)]
pub struct MonthValue(pub i64);

/// A `time.Weekday`: prints as `Sunday`.
#[derive(Debug, Clone, Copy)]
pub struct WeekdayValue(pub i64);

/// A `*time.Location`: prints its name.
#[derive(Debug, Clone)]
pub struct LocationValue(pub Arc<Location>);

fn obj(o: impl Object + 'static) -> Value {
    Value::Object(Arc::new(o))
}

/// A `time.Duration` argument of a method: a Duration value or an integer constant.
fn duration_arg(args: &[Value], i: usize) -> Result<i64, FuncError> {
    match args.arg(i)? {
        Value::Int(v, _) => Ok(*v),
        Value::Object(o) if o.as_any().is::<DurationValue>() => {
            Ok(o.as_any().downcast_ref::<DurationValue>().map_or(0, |d| d.0))
        }
        other => {
            Err(FuncError::new(format!("wrong type for value; expected time.Duration; got {}", other.type_name())))
        }
    }
}

fn time_arg(args: &[Value], i: usize) -> Result<&Time, FuncError> {
    let v = args.arg(i)?;
    v.as_object::<TimeValue>()
        .map(|t| &t.0)
        .ok_or_else(|| FuncError::new(format!("wrong type for value; expected time.Time; got {}", v.type_name())))
}

impl Object for TimeValue {
    fn type_name(&self) -> &str {
        TIME_TYPE
    }

    fn field(&self, name: &str) -> Option<Value> {
        let t = &self.0;
        Some(match name {
            "Unix" => Value::int64(t.sec),
            "UnixNano" => Value::int64(t.unix_nano()),
            "UnixMilli" => Value::int64(t.sec.wrapping_mul(1000) + i64::from(t.nsec / 1_000_000)),
            "UnixMicro" => Value::int64(t.sec.wrapping_mul(1_000_000) + i64::from(t.nsec / 1000)),
            "Year" => Value::int(t.fields().year),
            "Month" => obj(MonthValue(t.fields().month)),
            "Day" => Value::int(t.fields().day),
            "Hour" => Value::int(t.fields().hour),
            "Minute" => Value::int(t.fields().minute),
            "Second" => Value::int(t.fields().second),
            "Nanosecond" => Value::int(i64::from(t.nsec)),
            "YearDay" => Value::int(t.fields().yday),
            "Weekday" => obj(WeekdayValue(t.fields().weekday)),
            "UTC" => TimeValue::value(t.in_loc(Location::utc())),
            "Local" => TimeValue::value(t.in_loc(Location::local())),
            "Location" => obj(LocationValue(t.loc.clone())),
            "IsZero" => Value::Bool(t.is_zero()),
            "String" => Value::string(t.string()),
            _ => return None,
        })
    }

    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let t = &self.0;
        let want = |n: usize| -> Result<(), FuncError> {
            if args.len() == n {
                Ok(())
            } else {
                Err(FuncError::new(format!("wrong number of args for {name}: want {n} got {}", args.len())))
            }
        };
        let result = match name {
            "Format" => want(1).and_then(|()| Ok(Value::string(t.format(args.str_arg(0)?)))),
            "Add" => want(1).and_then(|()| Ok(TimeValue::value(t.add(duration_arg(args, 0)?)))),
            "AddDate" => want(3)
                .and_then(|()| Ok(TimeValue::value(t.add_date(args.int_arg(0)?, args.int_arg(1)?, args.int_arg(2)?)))),
            "Sub" => want(1).and_then(|()| Ok(obj(DurationValue(t.sub(time_arg(args, 0)?))))),
            "After" => want(1).and_then(|()| Ok(Value::Bool(t.compare(time_arg(args, 0)?).is_gt()))),
            "Before" => want(1).and_then(|()| Ok(Value::Bool(t.compare(time_arg(args, 0)?).is_lt()))),
            "Equal" => want(1).and_then(|()| Ok(Value::Bool(t.compare(time_arg(args, 0)?).is_eq()))),
            "Compare" => want(1).and_then(|()| Ok(Value::int(t.compare(time_arg(args, 0)?) as i64))),
            "Truncate" => want(1).and_then(|()| Ok(TimeValue::value(t.truncate(duration_arg(args, 0)?)))),
            "Round" => want(1).and_then(|()| Ok(TimeValue::value(t.round(duration_arg(args, 0)?)))),
            "In" => want(1).and_then(|()| {
                let loc = args
                    .arg(0)?
                    .as_object::<LocationValue>()
                    .ok_or_else(|| FuncError::new("wrong type for value; expected *time.Location"))?;
                Ok(TimeValue::value(t.in_loc(loc.0.clone())))
            }),
            _ => return self.field(name).map(|v| want(0).map(|()| v)),
        };
        Some(result)
    }

    fn format(&self) -> String {
        self.0.string()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn equals(&self, other: &dyn Object) -> Option<bool> {
        let o = other.as_any().downcast_ref::<TimeValue>()?;
        let (a, b) = (&self.0, &o.0);
        Some(a.sec == b.sec && a.nsec == b.nsec && a.mono == b.mono && Arc::ptr_eq(&a.loc, &b.loc))
    }
}

impl Object for DurationValue {
    fn type_name(&self) -> &str {
        "time.Duration"
    }

    fn field(&self, name: &str) -> Option<Value> {
        let d = self.0;
        Some(match name {
            "String" => Value::string(go_time::duration_string(d)),
            "Nanoseconds" => Value::int64(d),
            "Microseconds" => Value::int64(d / 1000),
            "Milliseconds" => Value::int64(d / 1_000_000),
            "Seconds" => Value::float((d / go_time::SECOND) as f64 + (d % go_time::SECOND) as f64 / 1e9),
            "Minutes" => Value::float((d / go_time::MINUTE) as f64 + (d % go_time::MINUTE) as f64 / (60.0 * 1e9)),
            "Hours" => Value::float((d / go_time::HOUR) as f64 + (d % go_time::HOUR) as f64 / (60.0 * 60.0 * 1e9)),
            "Abs" => obj(DurationValue(if d >= 0 {
                d
            } else if d == i64::MIN {
                i64::MAX
            } else {
                -d
            })),
            _ => return None,
        })
    }

    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        match name {
            "Round" => Some(duration_arg(args, 0).map(|m| obj(DurationValue(go_time::duration_round(self.0, m))))),
            "Truncate" => Some(
                duration_arg(args, 0).map(|m| obj(DurationValue(if m <= 0 { self.0 } else { self.0 - self.0 % m }))),
            ),
            _ => self.field(name).map(Ok),
        }
    }

    fn format(&self) -> String {
        go_time::duration_string(self.0)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn equals(&self, other: &dyn Object) -> Option<bool> {
        Some(other.as_any().downcast_ref::<DurationValue>()?.0 == self.0)
    }
}

impl Object for MonthValue {
    fn type_name(&self) -> &str {
        "time.Month"
    }

    fn field(&self, name: &str) -> Option<Value> {
        (name == "String").then(|| Value::string(self.format()))
    }

    fn format(&self) -> String {
        match self.0 {
            1..=12 => go_time::LONG_MONTH_NAMES[(self.0 - 1) as usize].to_string(),
            m => format!("%!Month({m})"),
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn equals(&self, other: &dyn Object) -> Option<bool> {
        Some(other.as_any().downcast_ref::<MonthValue>()?.0 == self.0)
    }
}

impl Object for WeekdayValue {
    fn type_name(&self) -> &str {
        "time.Weekday"
    }

    fn field(&self, name: &str) -> Option<Value> {
        (name == "String").then(|| Value::string(self.format()))
    }

    fn format(&self) -> String {
        match self.0 {
            0..=6 => go_time::LONG_DAY_NAMES[self.0 as usize].to_string(),
            d => format!("%!Weekday({d})"),
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn equals(&self, other: &dyn Object) -> Option<bool> {
        Some(other.as_any().downcast_ref::<WeekdayValue>()?.0 == self.0)
    }
}

impl Object for LocationValue {
    fn type_name(&self) -> &str {
        "*time.Location"
    }

    fn field(&self, name: &str) -> Option<Value> {
        (name == "String").then(|| Value::string(self.0.name.clone()))
    }

    fn format(&self) -> String {
        self.0.name.clone()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn equals(&self, other: &dyn Object) -> Option<bool> {
        Some(Arc::ptr_eq(&other.as_any().downcast_ref::<LocationValue>()?.0, &self.0))
    }
}

/// What sprig's `dateInZone` makes of its `date interface{}`: a `time.Time`, or Unix seconds
/// as `int64`, `int` or `int32`; anything else is "now".
fn date_of(v: &Value, with_int32: bool) -> Time {
    match v {
        Value::Object(_) => match v.as_object::<TimeValue>() {
            Some(t) => t.0.clone(),
            None => Time::now(),
        },
        Value::Int(n, IntKind::Int64 | IntKind::Int) => Time::unix(*n, 0),
        Value::Int(n, IntKind::Int32) if with_int32 => Time::unix(*n, 0),
        _ => Time::now(),
    }
}

/// sprig's `dateInZone`: an unknown zone is UTC.
fn date_in_zone(layout: &str, date: &Value, zone: &str) -> String {
    let t = date_of(date, true);
    let loc = Location::load(zone).unwrap_or_else(|_| Location::utc());
    t.in_loc(loc).format(layout)
}

/// `strconv.ParseInt(s, 10, 64)`'s value, errors ignored as sprig ignores them: out of range
/// gives the nearest bound, bad syntax 0.
fn parse_int_lenient(s: &str) -> i64 {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let mut n: i128 = 0;
    for b in digits.bytes() {
        n = n * 10 + i128::from(b - b'0');
        if n > i128::from(i64::MAX) + 1 {
            break;
        }
    }
    let n = if neg { -n } else { n };
    n.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// sprig's `durationRound`: the largest whole unit (y, mo, d, h, m, s) the duration exceeds.
fn duration_round(d: i64) -> String {
    let u = d.unsigned_abs();
    let hour = go_time::HOUR as u64;
    let (year, month, day) = (hour * 24 * 365, hour * 24 * 30, hour * 24);
    let (minute, second) = (go_time::MINUTE as u64, go_time::SECOND as u64);
    for (unit, suffix) in [(year, "y"), (month, "mo"), (day, "d"), (hour, "h"), (minute, "m"), (second, "s")] {
        if u > unit {
            return format!("{}{suffix}", u / unit);
        }
    }
    "0s".to_string()
}

pub(super) fn register(map: &mut FuncMap) {
    go_time::start_clock();
    let time_t = || GoType::Named(TIME_TYPE.into());

    map.add("now", vec![], |_, _| Ok(TimeValue::value(Time::now())));
    map.add("date", vec![GoType::String, GoType::Any], |_, a| {
        Ok(Value::string(date_in_zone(a.str_arg(0)?, a.arg(1)?, "Local")))
    });
    map.add("htmlDate", vec![GoType::Any], |_, a| Ok(Value::string(date_in_zone("2006-01-02", a.arg(0)?, "Local"))));
    map.add("htmlDateInZone", vec![GoType::Any, GoType::String], |_, a| {
        Ok(Value::string(date_in_zone("2006-01-02", a.arg(0)?, a.str_arg(1)?)))
    });
    for name in ["dateInZone", "date_in_zone"] {
        map.add(name, vec![GoType::String, GoType::Any, GoType::String], |_, a| {
            Ok(Value::string(date_in_zone(a.str_arg(0)?, a.arg(1)?, a.str_arg(2)?)))
        });
    }
    for name in ["dateModify", "date_modify"] {
        map.add(name, vec![GoType::String, time_t()], |_, a| {
            let t = time_arg(a, 1)?;
            Ok(TimeValue::value(match go_time::parse_duration(a.str_arg(0)?) {
                Ok(d) => t.add(d),
                Err(_) => t.clone(),
            }))
        });
    }
    for name in ["mustDateModify", "must_date_modify"] {
        map.add(name, vec![GoType::String, time_t()], |_, a| {
            let t = time_arg(a, 1)?;
            let d = go_time::parse_duration(a.str_arg(0)?).map_err(FuncError::new)?;
            Ok(TimeValue::value(t.add(d)))
        });
    }
    map.add("ago", vec![GoType::Any], |_, a| {
        let t = date_of(a.arg(0)?, false);
        Ok(Value::string(go_time::duration_string(go_time::duration_round(t.since(), go_time::SECOND))))
    });
    map.add("duration", vec![GoType::Any], |_, a| {
        let n = match a.arg(0)? {
            Value::String(s) => parse_int_lenient(s),
            Value::Int(v, IntKind::Int64) => *v,
            _ => 0,
        };
        Ok(Value::string(go_time::duration_string(n.wrapping_mul(go_time::SECOND))))
    });
    map.add("durationRound", vec![GoType::Any], |_, a| {
        let v = a.arg(0)?;
        let d = match v {
            Value::String(s) => go_time::parse_duration(s).unwrap_or(0),
            Value::Int(n, IntKind::Int64) => *n,
            Value::Object(_) => v.as_object::<TimeValue>().map_or(0, |t| t.0.since()),
            _ => 0,
        };
        Ok(Value::string(duration_round(d)))
    });
    map.add("toDate", vec![GoType::String, GoType::String], |_, a| {
        let t = go_time::parse_in_location(a.str_arg(0)?, a.str_arg(1)?, Location::local(), Location::local())
            .unwrap_or_else(|_| Time::zero());
        Ok(TimeValue::value(t))
    });
    map.add("mustToDate", vec![GoType::String, GoType::String], |_, a| {
        go_time::parse_in_location(a.str_arg(0)?, a.str_arg(1)?, Location::local(), Location::local())
            .map(TimeValue::value)
            .map_err(FuncError::new)
    });
    map.add("unixEpoch", vec![time_t()], |_, a| Ok(Value::string(time_arg(a, 0)?.sec.to_string())));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn funcs() -> FuncMap {
        let mut map = FuncMap::new();
        register(&mut map);
        map
    }

    fn s(v: Value) -> String {
        crate::fmt::format_value(&v)
    }

    fn call(map: &FuncMap, name: &str, args: &[Value]) -> String {
        s(map.call(name, args).unwrap())
    }

    fn utc_time(layout: &str, value: &str) -> Value {
        TimeValue::value(go_time::parse_in_location(layout, value, Location::utc(), Location::utc()).unwrap())
    }

    // Expected values below come from Go 1.27 + sprig 3.2.3 (probe program).
    #[test]
    fn formats_every_layout_element() {
        let map = funcs();
        let t = utc_time("2006-01-02T15:04:05.999999999Z07:00", "2009-11-10T23:04:05.012345678Z");
        let cases = [
            ("Mon Jan _2 15:04:05 MST 2006", "Tue Nov 10 23:04:05 UTC 2009"),
            ("Monday, January 2 2006 3:4:5 PM pm", "Tuesday, November 10 2009 11:4:5 PM pm"),
            ("01/02/06 03:04:05", "11/10/09 11:04:05"),
            ("002 __2 _2", "314 314 10"),
            (".000 .999 ,000 .9 .0", ".012 .012 ,012  .0"),
            ("Z07:00 Z0700 Z07 -07:00 -0700 -07 -07:00:00 Z07:00:00", "Z Z Z +00:00 +0000 +00 +00:00:00 Z"),
            ("2006-01-02 15:04:05.000000", "2009-11-10 23:04:05.012345"),
            ("Janx Mone _2006", "Janx Mone _2009"),
            ("15h", "23h"),
        ];
        for (layout, want) in cases {
            assert_eq!(call(&map, "dateInZone", &[layout.into(), t.clone(), "UTC".into()]), want, "{layout}");
        }
    }

    #[test]
    fn formats_in_zones_and_unix_seconds() {
        let map = funcs();
        let layout = "2006-01-02 15:04:05 MST -07:00";
        assert_eq!(
            call(&map, "dateInZone", &[layout.into(), Value::int64(1_700_000_000), "America/New_York".into()]),
            "2023-11-14 17:13:20 EST -05:00"
        );
        assert_eq!(
            call(&map, "dateInZone", &[layout.into(), Value::int(1_690_000_000), "Europe/Berlin".into()]),
            "2023-07-22 06:26:40 CEST +02:00"
        );
        assert_eq!(
            call(
                &map,
                "dateInZone",
                &[layout.into(), Value::Int(1_690_000_000, IntKind::Int32), "Asia/Kolkata".into()]
            ),
            "2023-07-22 09:56:40 IST +05:30"
        );
        // An unknown zone is UTC.
        assert_eq!(
            call(&map, "dateInZone", &[layout.into(), Value::int64(0), "Nowhere/Special".into()]),
            "1970-01-01 00:00:00 UTC +00:00"
        );
        assert_eq!(call(&map, "htmlDateInZone", &[Value::int64(1_700_000_000), "Asia/Tokyo".into()]), "2023-11-15");
    }

    #[test]
    fn to_date_parses_as_go() {
        let map = funcs();
        let t = map.call("toDate", &["2006-01-02 15:04:05 -0700".into(), "2024-02-29 12:30:00 +0530".into()]).unwrap();
        assert_eq!(s(t.clone()), "2024-02-29 12:30:00 +0530 +0530");
        assert_eq!(call(&map, "unixEpoch", &[t]), "1709190000");
        let t = utc_time("Jan 2, 2006 at 3:04pm (MST)", "Feb 3, 2013 at 7:54pm (UTC)");
        assert_eq!(s(t), "2013-02-03 19:54:00 +0000 UTC");
        let t = utc_time("2006-01-02T15:04:05Z07:00", "2019-10-01T01:02:03.5-07:00");
        assert_eq!(s(t), "2019-10-01 01:02:03.5 -0700 -0700");
        let t = utc_time("02 Jan 06 15:04 MST", "03 Apr 71 10:00 PST");
        assert_eq!(s(t), "1971-04-03 10:00:00 +0000 PST");
        let t = utc_time("2006 002", "2020 060");
        assert_eq!(s(t), "2020-02-29 00:00:00 +0000 UTC");
        // A bad date is the zero time for toDate and an error for mustToDate.
        assert_eq!(call(&map, "toDate", &["2006-01-02".into(), "x".into()]), "0001-01-01 00:00:00 +0000 UTC");
        let errors = [
            ("2006-01-02", "2023-13-01", r#"parsing time "2023-13-01": month out of range"#),
            ("2006-01-02", "2023-02-30", r#"parsing time "2023-02-30": day out of range"#),
            ("2006-01-02", "2023-01-02x", r#"parsing time "2023-01-02x": extra text: "x""#),
            ("2006-01-02", "23-01-02", r#"parsing time "23-01-02" as "2006-01-02": cannot parse "23-01-02" as "2006""#),
            ("15:04", "25:00", r#"parsing time "25:00": hour out of range"#),
            ("Jan 2", "Foo 2", r#"parsing time "Foo 2" as "Jan 2": cannot parse "Foo 2" as "Jan""#),
            (
                "2006-01-02 MST",
                "2023-01-02 Xx",
                r#"parsing time "2023-01-02 Xx" as "2006-01-02 MST": cannot parse "Xx" as "MST""#,
            ),
        ];
        for (layout, value, want) in errors {
            let err = map.call("mustToDate", &[layout.into(), value.into()]).unwrap_err();
            assert_eq!(err.0, want, "{layout} {value}");
        }
    }

    #[test]
    fn date_modify_and_durations() {
        let map = funcs();
        let t = utc_time("2006-01-02 15:04:05", "2020-01-01 00:00:00");
        assert_eq!(call(&map, "dateModify", &["-1.5h".into(), t.clone()]), "2019-12-31 22:30:00 +0000 UTC");
        assert_eq!(call(&map, "dateModify", &["bogus".into(), t.clone()]), "2020-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            map.call("mustDateModify", &["3x".into(), t.clone()]).unwrap_err().0,
            r#"time: unknown unit "x" in duration "3x""#
        );
        assert_eq!(map.call("mustDateModify", &["".into(), t]).unwrap_err().0, r#"time: invalid duration """#);
        let durations = [
            (Value::string("3723"), "1h2m3s"),
            (Value::int64(0), "0s"),
            (Value::int64(-90), "-1m30s"),
            (Value::int(90), "0s"),
            (Value::string("bad"), "0s"),
            (Value::string("99999999999999999999"), "-1s"),
        ];
        for (v, want) in durations {
            assert_eq!(call(&map, "duration", std::slice::from_ref(&v)), want, "{v:?}");
        }
        let rounds = [
            (Value::string("2h5m"), "2h"),
            (Value::string("-49h"), "2d"),
            (Value::string("800h"), "1mo"),
            (Value::string("9000h"), "1y"),
            (Value::string("1s"), "0s"),
            (Value::int64(61_000_000_000), "1m"),
            (Value::string("x"), "0s"),
        ];
        for (v, want) in rounds {
            assert_eq!(call(&map, "durationRound", std::slice::from_ref(&v)), want, "{v:?}");
        }
    }

    #[test]
    fn duration_string_and_parse() {
        let cases = [
            (0, "0s"),
            (1, "1ns"),
            (1_500, "1.5µs"),
            (1_500_000, "1.5ms"),
            (3_723_500_000_000, "1h2m3.5s"),
            (-61_000_000_000, "-1m1s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (d, want) in cases {
            assert_eq!(go_time::duration_string(d), want);
        }
        assert_eq!(go_time::parse_duration("1h2m3.5s"), Ok(3_723_500_000_000));
        assert_eq!(go_time::parse_duration("1.5µs"), Ok(1_500));
        assert_eq!(go_time::parse_duration(".5m"), Ok(30_000_000_000));
        assert_eq!(go_time::parse_duration("-0"), Ok(0));
        assert_eq!(go_time::parse_duration("1"), Err(r#"time: missing unit in duration "1""#.to_string()));
        assert_eq!(go_time::parse_duration("9999999999h"), Err(r#"time: invalid duration "9999999999h""#.to_string()));
    }

    #[test]
    fn time_values_print_and_answer_methods() {
        let t = utc_time("2006-01-02 15:04:05.000", "2021-03-04 05:06:07.891");
        let Value::Object(o) = &t else { panic!() };
        assert_eq!(s(o.field("Unix").unwrap()), "1614834367");
        assert_eq!(s(o.field("Month").unwrap()), "March");
        assert_eq!(s(o.field("Weekday").unwrap()), "Thursday");
        assert_eq!(s(o.field("YearDay").unwrap()), "63");
        assert_eq!(s(o.method("Format", &["Jan 2".into()]).unwrap().unwrap()), "Mar 4");
        assert_eq!(
            s(o.method("AddDate", &[Value::int(0), Value::int(1), Value::int(30)]).unwrap().unwrap()),
            "2021-05-04 05:06:07.891 +0000 UTC"
        );
        assert_eq!(
            s(o.method("Add", &[Value::int(3_600_000_000_000)]).unwrap().unwrap()),
            "2021-03-04 06:06:07.891 +0000 UTC"
        );
        assert_eq!(
            s(o.method("Truncate", &[Value::int(go_time::HOUR)]).unwrap().unwrap()),
            "2021-03-04 05:00:00 +0000 UTC"
        );
        assert_eq!(
            s(o.method("Round", &[Value::int(go_time::SECOND)]).unwrap().unwrap()),
            "2021-03-04 05:06:08 +0000 UTC"
        );
        let u = utc_time("2006-01-02", "2021-03-03");
        assert_eq!(s(o.method("Sub", &[u]).unwrap().unwrap()), "29h6m7.891s");
        assert_eq!(s(TimeValue::value(Time::zero())), "0001-01-01 00:00:00 +0000 UTC");
    }

    #[test]
    fn times_marshal_to_json_as_go() {
        // Go: json.Marshal of these times.
        let t = utc_time("2006-01-02T15:04:05Z07:00", "2019-10-01T01:02:03.5-07:00");
        assert_eq!(t.as_object::<TimeValue>().unwrap().go_json().unwrap(), r#""2019-10-01T01:02:03.5-07:00""#);
        let t = utc_time("2006-01-02", "2019-10-01");
        assert_eq!(t.as_object::<TimeValue>().unwrap().go_json().unwrap(), r#""2019-10-01T00:00:00Z""#);
        let far = TimeValue(Time::unix(253_402_300_800, 0).in_loc(Location::utc()));
        assert_eq!(far.go_json().unwrap_err(), "Time.MarshalJSON: year outside of range [0,9999]");
    }

    #[test]
    fn now_carries_a_monotonic_reading() {
        let map = funcs();
        let now = call(&map, "now", &[]);
        let (wall, mono) = now.split_once(" m=+").unwrap();
        assert_eq!(wall.len(), wall.trim().len());
        let (secs, frac) = mono.split_once('.').unwrap();
        assert!(secs.bytes().all(|b| b.is_ascii_digit()) && frac.len() == 9, "{now}");
        // UTC and In drop it, as in Go.
        let Value::Object(o) = map.call("now", &[]).unwrap() else { panic!() };
        assert!(!s(o.field("UTC").unwrap()).contains("m="));
        assert_eq!(call(&map, "ago", &[map.call("now", &[]).unwrap()]), "0s");
        assert_eq!(call(&map, "durationRound", &[map.call("now", &[]).unwrap()]), "0s");
    }

    /// `time.Parse` (layout, value) and what Go 1.27 made of it: `OK String()|Format(…)` or
    /// `ERR message` (from a Go probe program).
    const PARSE_CASES: &[(&str, &str, &str)] = &[
        (
            "2006-01-02T15:04:05Z07:00",
            "2019-10-01T01:02:03Z",
            "OK 2019-10-01 01:02:03 +0000 UTC|Tue Oct  1 2019 01:02:03.000000000 +00:00:00 UTC",
        ),
        (
            "2006-01-02T15:04:05Z07:00",
            "2019-10-01T01:02:03.123456789123+01:00",
            "OK 2019-10-01 01:02:03.123456789 +0100 +0100|Tue Oct  1 2019 01:02:03.123456789 +01:00:00 +0100",
        ),
        (
            "2006-01-02T15:04:05Z07:00",
            "2019-10-01T01:02:03,5Z",
            "OK 2019-10-01 01:02:03.5 +0000 UTC|Tue Oct  1 2019 01:02:03.500000000 +00:00:00 UTC",
        ),
        (
            "2006-01-02T15:04:05Z07:00",
            "2019-10-01T1:02:03Z",
            "OK 2019-10-01 01:02:03 +0000 UTC|Tue Oct  1 2019 01:02:03.000000000 +00:00:00 UTC",
        ),
        (
            "2006-01-02T15:04:05.999999999Z07:00",
            "2019-10-01T01:02:03.1Z",
            "OK 2019-10-01 01:02:03.1 +0000 UTC|Tue Oct  1 2019 01:02:03.100000000 +00:00:00 UTC",
        ),
        (
            "2006-01-02T15:04:05Z07:00",
            "2019-10-01T01:02:03+25:00",
            "ERR parsing time \"2019-10-01T01:02:03+25:00\": time zone offset hour out of range",
        ),
        (
            "2006-01-02 15:04:05.000",
            "2019-10-01 01:02:03.12",
            "ERR parsing time \"2019-10-01 01:02:03.12\" as \"2006-01-02 15:04:05.000\": cannot parse \".12\" as \".000\"",
        ),
        (
            "2006-01-02 15:04:05.000",
            "2019-10-01 01:02:03.1234",
            "ERR parsing time \"2019-10-01 01:02:03.1234\": extra text: \"4\"",
        ),
        (
            "2006-01-02 15:04:05",
            "2019-10-01 01:02:03.1234",
            "OK 2019-10-01 01:02:03.1234 +0000 UTC|Tue Oct  1 2019 01:02:03.123400000 +00:00:00 UTC",
        ),
        (
            "Jan _2 15:04:05",
            "Feb  3 04:05:06",
            "OK 0000-02-03 04:05:06 +0000 UTC|Thu Feb  3 0000 04:05:06.000000000 +00:00:00 UTC",
        ),
        (
            "Jan _2 15:04:05",
            "Feb 13 04:05:06",
            "OK 0000-02-13 04:05:06 +0000 UTC|Sun Feb 13 0000 04:05:06.000000000 +00:00:00 UTC",
        ),
        (
            "January 2, 2006",
            "february 3, 2013",
            "OK 2013-02-03 00:00:00 +0000 UTC|Sun Feb  3 2013 00:00:00.000000000 +00:00:00 UTC",
        ),
        (
            "Mon, 02 Jan 2006 15:04:05 MST",
            "Thu, 04 Feb 2010 03:04:05 PST",
            "OK 2010-02-04 03:04:05 +0000 PST|Thu Feb  4 2010 03:04:05.000000000 +00:00:00 PST",
        ),
        (
            "Mon, 02 Jan 2006 15:04:05 MST",
            "Thu, 04 Feb 2010 03:04:05 GMT+3",
            "OK 2010-02-04 06:04:05 +0300 GMT+3|Thu Feb  4 2010 06:04:05.000000000 +03:00:00 GMT+3",
        ),
        (
            "Mon, 02 Jan 2006 15:04:05 MST",
            "Thu, 04 Feb 2010 03:04:05 ChST",
            "OK 2010-02-04 03:04:05 +0000 ChST|Thu Feb  4 2010 03:04:05.000000000 +00:00:00 ChST",
        ),
        (
            "Mon, 02 Jan 2006 15:04:05 -0700",
            "Thu, 04 Feb 2010 03:04:05 +0000",
            "OK 2010-02-04 03:04:05 +0000 UTC|Thu Feb  4 2010 03:04:05.000000000 +00:00:00 UTC",
        ),
        ("3:04PM", "11:30AM", "OK 0000-01-01 11:30:00 +0000 UTC|Sat Jan  1 0000 11:30:00.000000000 +00:00:00 UTC"),
        ("3:04PM", "12:30AM", "OK 0000-01-01 00:30:00 +0000 UTC|Sat Jan  1 0000 00:30:00.000000000 +00:00:00 UTC"),
        ("3:04pm", "12:30pm", "OK 0000-01-01 12:30:00 +0000 UTC|Sat Jan  1 0000 12:30:00.000000000 +00:00:00 UTC"),
        ("3:04PM", "13:30PM", "ERR parsing time \"13:30PM\": hour out of range"),
        ("06-01-02", "68-01-02", "OK 2068-01-02 00:00:00 +0000 UTC|Mon Jan  2 2068 00:00:00.000000000 +00:00:00 UTC"),
        ("06-01-02", "69-01-02", "OK 1969-01-02 00:00:00 +0000 UTC|Thu Jan  2 1969 00:00:00.000000000 +00:00:00 UTC"),
        (
            "2006-01-02",
            "2019-1-02",
            "ERR parsing time \"2019-1-02\" as \"2006-01-02\": cannot parse \"1-02\" as \"01\"",
        ),
        ("2006-1-2", "2019-1-2", "OK 2019-01-02 00:00:00 +0000 UTC|Wed Jan  2 2019 00:00:00.000000000 +00:00:00 UTC"),
        (
            "2006-01-02",
            " 2019-01-02",
            "ERR parsing time \" 2019-01-02\" as \"2006-01-02\": cannot parse \" 2019-01-02\" as \"2006\"",
        ),
        (
            "2006  01 02",
            "2006 01 02",
            "OK 2006-01-02 00:00:00 +0000 UTC|Mon Jan  2 2006 00:00:00.000000000 +00:00:00 UTC",
        ),
        ("2006 002", "2021 366", "ERR parsing time \"2021 366\": day-of-year out of range"),
        ("2006 002 01", "2020 060 03", "ERR parsing time \"2020 060 03\": day-of-year does not match month"),
        (
            "2006-01-02T15:04:05-07:00:00",
            "2019-10-01T01:02:03+05:30:15",
            "OK 2019-10-01 01:02:03 +0530 +0530|Tue Oct  1 2019 01:02:03.000000000 +05:30:15 +0530",
        ),
        (
            "2006-01-02T15:04:05-07",
            "2019-10-01T01:02:03-03",
            "OK 2019-10-01 01:02:03 -0300 -0300|Tue Oct  1 2019 01:02:03.000000000 -03:00:00 -0300",
        ),
        (
            "2006-01-02T15:04:05Z0700",
            "2019-10-01T01:02:03Z",
            "OK 2019-10-01 01:02:03 +0000 UTC|Tue Oct  1 2019 01:02:03.000000000 +00:00:00 UTC",
        ),
        (
            "2006-01-02T15:04:05Z070000",
            "2019-10-01T01:02:03-013015",
            "OK 2019-10-01 01:02:03 -0130 -0130|Tue Oct  1 2019 01:02:03.000000000 -01:30:15 -0130",
        ),
        (
            "2006-01-02 15:04:05 MST",
            "2019-10-01 01:02:03 UTC",
            "OK 2019-10-01 01:02:03 +0000 UTC|Tue Oct  1 2019 01:02:03.000000000 +00:00:00 UTC",
        ),
        (
            "2006-01-02 15:04:05 MST",
            "2019-10-01 01:02:03 CEST",
            "OK 2019-10-01 01:02:03 +0000 CEST|Tue Oct  1 2019 01:02:03.000000000 +00:00:00 CEST",
        ),
        (
            "2006-01-02 15:04:05 MST",
            "2019-10-01 01:02:03 +03",
            "OK 2019-10-01 01:02:03 +0000 +03|Tue Oct  1 2019 01:02:03.000000000 +00:00:00 +03",
        ),
        (
            "2006-01-02 15:04:05 MST",
            "2019-10-01 01:02:03 AB",
            "ERR parsing time \"2019-10-01 01:02:03 AB\" as \"2006-01-02 15:04:05 MST\": cannot parse \"AB\" as \"MST\"",
        ),
        (
            "2006-01-02 15:04:05,000",
            "2019-10-01 01:02:03,123",
            "OK 2019-10-01 01:02:03.123 +0000 UTC|Tue Oct  1 2019 01:02:03.123000000 +00:00:00 UTC",
        ),
        ("15:04:05.9", "01:02:03", "OK 0000-01-01 01:02:03 +0000 UTC|Sat Jan  1 0000 01:02:03.000000000 +00:00:00 UTC"),
        (
            "15:04:05.9",
            "01:02:03.987",
            "OK 0000-01-01 01:02:03.987 +0000 UTC|Sat Jan  1 0000 01:02:03.987000000 +00:00:00 UTC",
        ),
        ("", "", "OK 0000-01-01 00:00:00 +0000 UTC|Sat Jan  1 0000 00:00:00.000000000 +00:00:00 UTC"),
        ("", "x", "ERR parsing time \"x\": extra text: \"x\""),
        ("2006", "0000", "OK 0000-01-01 00:00:00 +0000 UTC|Sat Jan  1 0000 00:00:00.000000000 +00:00:00 UTC"),
        ("2006", "-001", "ERR parsing time \"-001\" as \"2006\": cannot parse \"-001\" as \"2006\""),
        (
            "Monday 2006",
            "monday 2020",
            "OK 2020-01-01 00:00:00 +0000 UTC|Wed Jan  1 2020 00:00:00.000000000 +00:00:00 UTC",
        ),
        ("Mon 2006", "Mond 2020", "ERR parsing time \"Mond 2020\" as \"Mon 2006\": cannot parse \"d 2020\" as \" \""),
        ("2006-01-02 15:04", "2019-02-29 10:00", "ERR parsing time \"2019-02-29 10:00\": day out of range"),
        ("2006-01-02 15:04", "2020-02-29 24:00", "ERR parsing time \"2020-02-29 24:00\": hour out of range"),
        (
            "2006-01-02 15:04 héllo",
            "2020-02-29 10:00 héllo",
            "OK 2020-02-29 10:00:00 +0000 UTC|Sat Feb 29 2020 10:00:00.000000000 +00:00:00 UTC",
        ),
        (
            "2006-01-02 15:04 héllo",
            "2020-02-29 10:00 hallo",
            "ERR parsing time \"2020-02-29 10:00 hallo\" as \"2006-01-02 15:04 h\\xc3\\xa9llo\": cannot parse \"allo\" as \" h\\xc3\\xa9llo\"",
        ),
        (
            "2006-01-02 15:04:05.000000000",
            "2020-02-29 10:00:00.00000000x",
            "ERR parsing time \"2020-02-29 10:00:00.00000000x\" as \"2006-01-02 15:04:05.000000000\": cannot parse \".00000000x\" as \".000000000\"",
        ),
    ];

    #[test]
    fn parse_matches_go_case_by_case() {
        for (layout, value, want) in PARSE_CASES {
            let got = match go_time::parse_in_location(layout, value, Location::utc(), Location::local()) {
                Ok(t) => format!("OK {}|{}", t.string(), t.format("Mon Jan _2 2006 15:04:05.000000000 -07:00:00 MST")),
                Err(e) => format!("ERR {e}"),
            };
            assert_eq!(&got, want, "{layout:?} {value:?}");
        }
    }

    /// `time.Unix(sec, 123456789).In(zone)`: `String()`, `Format(every element)`,
    /// `AddDate(0, 1, -1)` for each zone and instant (zones outer), from a Go probe program.
    const FORMAT_CASES: &[&str] = &[
        "1970-01-01 00:00:00.123456789 +0000 UTC|Thursday Thu January Jan 1 01 1  1 01   1 001 00 12 12 0 00 0 00 1970 70 AM am UTC Z +00 .123 .123456 ,1|1970-01-31 00:00:00.123456789 +0000 UTC",
        "1969-12-31 23:59:59.123456789 +0000 UTC|Wednesday Wed December Dec 12 12 31 31 31 365 365 23 11 11 59 59 59 59 1969 69 PM pm UTC Z +00 .123 .123456 ,1|1970-01-30 23:59:59.123456789 +0000 UTC",
        "2023-11-14 22:13:20.123456789 +0000 UTC|Tuesday Tue November Nov 11 11 14 14 14 318 318 22 10 10 13 13 20 20 2023 23 PM pm UTC Z +00 .123 .123456 ,1|2023-12-13 22:13:20.123456789 +0000 UTC",
        "2024-03-10 07:00:00.123456789 +0000 UTC|Sunday Sun March Mar 3 03 10 10 10  70 070 07 7 07 0 00 0 00 2024 24 AM am UTC Z +00 .123 .123456 ,1|2024-04-09 07:00:00.123456789 +0000 UTC",
        "2024-03-10 06:59:59.123456789 +0000 UTC|Sunday Sun March Mar 3 03 10 10 10  70 070 06 6 06 59 59 59 59 2024 24 AM am UTC Z +00 .123 .123456 ,1|2024-04-09 06:59:59.123456789 +0000 UTC",
        "2024-11-03 06:00:00.123456789 +0000 UTC|Sunday Sun November Nov 11 11 3  3 03 308 308 06 6 06 0 00 0 00 2024 24 AM am UTC Z +00 .123 .123456 ,1|2024-12-02 06:00:00.123456789 +0000 UTC",
        "2100-01-01 00:00:00.123456789 +0000 UTC|Friday Fri January Jan 1 01 1  1 01   1 001 00 12 12 0 00 0 00 2100 00 AM am UTC Z +00 .123 .123456 ,1|2100-01-31 00:00:00.123456789 +0000 UTC",
        "9999-12-31 23:59:59.123456789 +0000 UTC|Friday Fri December Dec 12 12 31 31 31 365 365 23 11 11 59 59 59 59 9999 99 PM pm UTC Z +00 .123 .123456 ,1|10000-01-30 23:59:59.123456789 +0000 UTC",
        "10000-01-01 00:00:00.123456789 +0000 UTC|Saturday Sat January Jan 1 01 1  1 01   1 001 00 12 12 0 00 0 00 10000 00 AM am UTC Z +00 .123 .123456 ,1|10000-01-31 00:00:00.123456789 +0000 UTC",
        "0001-01-01 00:00:00.123456789 +0000 UTC|Monday Mon January Jan 1 01 1  1 01   1 001 00 12 12 0 00 0 00 0001 01 AM am UTC Z +00 .123 .123456 ,1|0001-01-31 00:00:00.123456789 +0000 UTC",
        "0000-12-31 23:59:59.123456789 +0000 UTC|Sunday Sun December Dec 12 12 31 31 31 366 366 23 11 11 59 59 59 59 0000 00 PM pm UTC Z +00 .123 .123456 ,1|0001-01-30 23:59:59.123456789 +0000 UTC",
        "-1199-02-15 14:13:21.123456789 +0000 UTC|Thursday Thu February Feb 2 02 15 15 15  46 046 14 2 02 13 13 21 21 -1199 99 PM pm UTC Z +00 .123 .123456 ,1|-1199-03-14 14:13:21.123456789 +0000 UTC",
        "3000-01-01 00:00:00.123456789 +0000 UTC|Wednesday Wed January Jan 1 01 1  1 01   1 001 00 12 12 0 00 0 00 3000 00 AM am UTC Z +00 .123 .123456 ,1|3000-01-31 00:00:00.123456789 +0000 UTC",
        "1969-12-31 19:00:00.123456789 -0500 EST|Wednesday Wed December Dec 12 12 31 31 31 365 365 19 7 07 0 00 0 00 1969 69 PM pm EST -05:00 -05 .123 .123456 ,1|1970-01-30 19:00:00.123456789 -0500 EST",
        "1969-12-31 18:59:59.123456789 -0500 EST|Wednesday Wed December Dec 12 12 31 31 31 365 365 18 6 06 59 59 59 59 1969 69 PM pm EST -05:00 -05 .123 .123456 ,1|1970-01-30 18:59:59.123456789 -0500 EST",
        "2023-11-14 17:13:20.123456789 -0500 EST|Tuesday Tue November Nov 11 11 14 14 14 318 318 17 5 05 13 13 20 20 2023 23 PM pm EST -05:00 -05 .123 .123456 ,1|2023-12-13 17:13:20.123456789 -0500 EST",
        "2024-03-10 03:00:00.123456789 -0400 EDT|Sunday Sun March Mar 3 03 10 10 10  70 070 03 3 03 0 00 0 00 2024 24 AM am EDT -04:00 -04 .123 .123456 ,1|2024-04-09 03:00:00.123456789 -0400 EDT",
        "2024-03-10 01:59:59.123456789 -0500 EST|Sunday Sun March Mar 3 03 10 10 10  70 070 01 1 01 59 59 59 59 2024 24 AM am EST -05:00 -05 .123 .123456 ,1|2024-04-09 01:59:59.123456789 -0400 EDT",
        "2024-11-03 01:00:00.123456789 -0500 EST|Sunday Sun November Nov 11 11 3  3 03 308 308 01 1 01 0 00 0 00 2024 24 AM am EST -05:00 -05 .123 .123456 ,1|2024-12-02 01:00:00.123456789 -0500 EST",
        "2099-12-31 19:00:00.123456789 -0500 EST|Thursday Thu December Dec 12 12 31 31 31 365 365 19 7 07 0 00 0 00 2099 99 PM pm EST -05:00 -05 .123 .123456 ,1|2100-01-30 19:00:00.123456789 -0500 EST",
        "9999-12-31 18:59:59.123456789 -0500 EST|Friday Fri December Dec 12 12 31 31 31 365 365 18 6 06 59 59 59 59 9999 99 PM pm EST -05:00 -05 .123 .123456 ,1|10000-01-30 18:59:59.123456789 -0500 EST",
        "9999-12-31 19:00:00.123456789 -0500 EST|Friday Fri December Dec 12 12 31 31 31 365 365 19 7 07 0 00 0 00 9999 99 PM pm EST -05:00 -05 .123 .123456 ,1|10000-01-30 19:00:00.123456789 -0500 EST",
        "0000-12-31 19:03:58.123456789 -0456 LMT|Sunday Sun December Dec 12 12 31 31 31 366 366 19 7 07 3 03 58 58 0000 00 PM pm LMT -04:56 -04 .123 .123456 ,1|0001-01-30 19:03:58.123456789 -0456 LMT",
        "0000-12-31 19:03:57.123456789 -0456 LMT|Sunday Sun December Dec 12 12 31 31 31 366 366 19 7 07 3 03 57 57 0000 00 PM pm LMT -04:56 -04 .123 .123456 ,1|0001-01-30 19:03:57.123456789 -0456 LMT",
        "-1199-02-15 09:17:19.123456789 -0456 LMT|Thursday Thu February Feb 2 02 15 15 15  46 046 09 9 09 17 17 19 19 -1199 99 AM am LMT -04:56 -04 .123 .123456 ,1|-1199-03-14 09:17:19.123456789 -0456 LMT",
        "2999-12-31 19:00:00.123456789 -0500 EST|Tuesday Tue December Dec 12 12 31 31 31 365 365 19 7 07 0 00 0 00 2999 99 PM pm EST -05:00 -05 .123 .123456 ,1|3000-01-30 19:00:00.123456789 -0500 EST",
        "1970-01-01 05:30:00.123456789 +0530 +0530|Thursday Thu January Jan 1 01 1  1 01   1 001 05 5 05 30 30 0 00 1970 70 AM am +0530 +05:30 +05 .123 .123456 ,1|1970-01-31 05:30:00.123456789 +0530 +0530",
        "1970-01-01 05:29:59.123456789 +0530 +0530|Thursday Thu January Jan 1 01 1  1 01   1 001 05 5 05 29 29 59 59 1970 70 AM am +0530 +05:30 +05 .123 .123456 ,1|1970-01-31 05:29:59.123456789 +0530 +0530",
        "2023-11-15 03:58:20.123456789 +0545 +0545|Wednesday Wed November Nov 11 11 15 15 15 319 319 03 3 03 58 58 20 20 2023 23 AM am +0545 +05:45 +05 .123 .123456 ,1|2023-12-14 03:58:20.123456789 +0545 +0545",
        "2024-03-10 12:45:00.123456789 +0545 +0545|Sunday Sun March Mar 3 03 10 10 10  70 070 12 12 12 45 45 0 00 2024 24 PM pm +0545 +05:45 +05 .123 .123456 ,1|2024-04-09 12:45:00.123456789 +0545 +0545",
        "2024-03-10 12:44:59.123456789 +0545 +0545|Sunday Sun March Mar 3 03 10 10 10  70 070 12 12 12 44 44 59 59 2024 24 PM pm +0545 +05:45 +05 .123 .123456 ,1|2024-04-09 12:44:59.123456789 +0545 +0545",
        "2024-11-03 11:45:00.123456789 +0545 +0545|Sunday Sun November Nov 11 11 3  3 03 308 308 11 11 11 45 45 0 00 2024 24 AM am +0545 +05:45 +05 .123 .123456 ,1|2024-12-02 11:45:00.123456789 +0545 +0545",
        "2100-01-01 05:45:00.123456789 +0545 +0545|Friday Fri January Jan 1 01 1  1 01   1 001 05 5 05 45 45 0 00 2100 00 AM am +0545 +05:45 +05 .123 .123456 ,1|2100-01-31 05:45:00.123456789 +0545 +0545",
        "10000-01-01 05:44:59.123456789 +0545 +0545|Saturday Sat January Jan 1 01 1  1 01   1 001 05 5 05 44 44 59 59 10000 00 AM am +0545 +05:45 +05 .123 .123456 ,1|10000-01-31 05:44:59.123456789 +0545 +0545",
        "10000-01-01 05:45:00.123456789 +0545 +0545|Saturday Sat January Jan 1 01 1  1 01   1 001 05 5 05 45 45 0 00 10000 00 AM am +0545 +05:45 +05 .123 .123456 ,1|10000-01-31 05:45:00.123456789 +0545 +0545",
        "0001-01-01 05:41:16.123456789 +0541 LMT|Monday Mon January Jan 1 01 1  1 01   1 001 05 5 05 41 41 16 16 0001 01 AM am LMT +05:41 +05 .123 .123456 ,1|0001-01-31 05:41:16.123456789 +0541 LMT",
        "0001-01-01 05:41:15.123456789 +0541 LMT|Monday Mon January Jan 1 01 1  1 01   1 001 05 5 05 41 41 15 15 0001 01 AM am LMT +05:41 +05 .123 .123456 ,1|0001-01-31 05:41:15.123456789 +0541 LMT",
        "-1199-02-15 19:54:37.123456789 +0541 LMT|Thursday Thu February Feb 2 02 15 15 15  46 046 19 7 07 54 54 37 37 -1199 99 PM pm LMT +05:41 +05 .123 .123456 ,1|-1199-03-14 19:54:37.123456789 +0541 LMT",
        "3000-01-01 05:45:00.123456789 +0545 +0545|Wednesday Wed January Jan 1 01 1  1 01   1 001 05 5 05 45 45 0 00 3000 00 AM am +0545 +05:45 +05 .123 .123456 ,1|3000-01-31 05:45:00.123456789 +0545 +0545",
        "1970-01-01 01:00:00.123456789 +0100 BST|Thursday Thu January Jan 1 01 1  1 01   1 001 01 1 01 0 00 0 00 1970 70 AM am BST +01:00 +01 .123 .123456 ,1|1970-01-31 01:00:00.123456789 +0100 BST",
        "1970-01-01 00:59:59.123456789 +0100 BST|Thursday Thu January Jan 1 01 1  1 01   1 001 00 12 12 59 59 59 59 1970 70 AM am BST +01:00 +01 .123 .123456 ,1|1970-01-31 00:59:59.123456789 +0100 BST",
        "2023-11-14 22:13:20.123456789 +0000 GMT|Tuesday Tue November Nov 11 11 14 14 14 318 318 22 10 10 13 13 20 20 2023 23 PM pm GMT Z +00 .123 .123456 ,1|2023-12-13 22:13:20.123456789 +0000 GMT",
        "2024-03-10 07:00:00.123456789 +0000 GMT|Sunday Sun March Mar 3 03 10 10 10  70 070 07 7 07 0 00 0 00 2024 24 AM am GMT Z +00 .123 .123456 ,1|2024-04-09 07:00:00.123456789 +0100 BST",
        "2024-03-10 06:59:59.123456789 +0000 GMT|Sunday Sun March Mar 3 03 10 10 10  70 070 06 6 06 59 59 59 59 2024 24 AM am GMT Z +00 .123 .123456 ,1|2024-04-09 06:59:59.123456789 +0100 BST",
        "2024-11-03 06:00:00.123456789 +0000 GMT|Sunday Sun November Nov 11 11 3  3 03 308 308 06 6 06 0 00 0 00 2024 24 AM am GMT Z +00 .123 .123456 ,1|2024-12-02 06:00:00.123456789 +0000 GMT",
        "2100-01-01 00:00:00.123456789 +0000 GMT|Friday Fri January Jan 1 01 1  1 01   1 001 00 12 12 0 00 0 00 2100 00 AM am GMT Z +00 .123 .123456 ,1|2100-01-31 00:00:00.123456789 +0000 GMT",
        "9999-12-31 23:59:59.123456789 +0000 GMT|Friday Fri December Dec 12 12 31 31 31 365 365 23 11 11 59 59 59 59 9999 99 PM pm GMT Z +00 .123 .123456 ,1|10000-01-30 23:59:59.123456789 +0000 GMT",
        "10000-01-01 00:00:00.123456789 +0000 GMT|Saturday Sat January Jan 1 01 1  1 01   1 001 00 12 12 0 00 0 00 10000 00 AM am GMT Z +00 .123 .123456 ,1|10000-01-31 00:00:00.123456789 +0000 GMT",
        "0000-12-31 23:58:45.123456789 -0001 LMT|Sunday Sun December Dec 12 12 31 31 31 366 366 23 11 11 58 58 45 45 0000 00 PM pm LMT -00:01 -00 .123 .123456 ,1|0001-01-30 23:58:45.123456789 -0001 LMT",
        "0000-12-31 23:58:44.123456789 -0001 LMT|Sunday Sun December Dec 12 12 31 31 31 366 366 23 11 11 58 58 44 44 0000 00 PM pm LMT -00:01 -00 .123 .123456 ,1|0001-01-30 23:58:44.123456789 -0001 LMT",
        "-1199-02-15 14:12:06.123456789 -0001 LMT|Thursday Thu February Feb 2 02 15 15 15  46 046 14 2 02 12 12 6 06 -1199 99 PM pm LMT -00:01 -00 .123 .123456 ,1|-1199-03-14 14:12:06.123456789 -0001 LMT",
        "3000-01-01 00:00:00.123456789 +0000 GMT|Wednesday Wed January Jan 1 01 1  1 01   1 001 00 12 12 0 00 0 00 3000 00 AM am GMT Z +00 .123 .123456 ,1|3000-01-31 00:00:00.123456789 +0000 GMT",
        "1970-01-01 10:00:00.123456789 +1000 AEST|Thursday Thu January Jan 1 01 1  1 01   1 001 10 10 10 0 00 0 00 1970 70 AM am AEST +10:00 +10 .123 .123456 ,1|1970-01-31 10:00:00.123456789 +1000 AEST",
        "1970-01-01 09:59:59.123456789 +1000 AEST|Thursday Thu January Jan 1 01 1  1 01   1 001 09 9 09 59 59 59 59 1970 70 AM am AEST +10:00 +10 .123 .123456 ,1|1970-01-31 09:59:59.123456789 +1000 AEST",
        "2023-11-15 09:13:20.123456789 +1100 +11|Wednesday Wed November Nov 11 11 15 15 15 319 319 09 9 09 13 13 20 20 2023 23 AM am +11 +11:00 +11 .123 .123456 ,1|2023-12-14 09:13:20.123456789 +1100 +11",
        "2024-03-10 18:00:00.123456789 +1100 +11|Sunday Sun March Mar 3 03 10 10 10  70 070 18 6 06 0 00 0 00 2024 24 PM pm +11 +11:00 +11 .123 .123456 ,1|2024-04-09 18:00:00.123456789 +1030 +1030",
        "2024-03-10 17:59:59.123456789 +1100 +11|Sunday Sun March Mar 3 03 10 10 10  70 070 17 5 05 59 59 59 59 2024 24 PM pm +11 +11:00 +11 .123 .123456 ,1|2024-04-09 17:59:59.123456789 +1030 +1030",
        "2024-11-03 17:00:00.123456789 +1100 +11|Sunday Sun November Nov 11 11 3  3 03 308 308 17 5 05 0 00 0 00 2024 24 PM pm +11 +11:00 +11 .123 .123456 ,1|2024-12-02 17:00:00.123456789 +1100 +11",
        "2100-01-01 11:00:00.123456789 +1100 +11|Friday Fri January Jan 1 01 1  1 01   1 001 11 11 11 0 00 0 00 2100 00 AM am +11 +11:00 +11 .123 .123456 ,1|2100-01-31 11:00:00.123456789 +1100 +11",
        "10000-01-01 10:59:59.123456789 +1100 +11|Saturday Sat January Jan 1 01 1  1 01   1 001 10 10 10 59 59 59 59 10000 00 AM am +11 +11:00 +11 .123 .123456 ,1|10000-01-31 10:59:59.123456789 +1100 +11",
        "10000-01-01 11:00:00.123456789 +1100 +11|Saturday Sat January Jan 1 01 1  1 01   1 001 11 11 11 0 00 0 00 10000 00 AM am +11 +11:00 +11 .123 .123456 ,1|10000-01-31 11:00:00.123456789 +1100 +11",
        "0001-01-01 10:36:20.123456789 +1036 LMT|Monday Mon January Jan 1 01 1  1 01   1 001 10 10 10 36 36 20 20 0001 01 AM am LMT +10:36 +10 .123 .123456 ,1|0001-01-31 10:36:20.123456789 +1036 LMT",
        "0001-01-01 10:36:19.123456789 +1036 LMT|Monday Mon January Jan 1 01 1  1 01   1 001 10 10 10 36 36 19 19 0001 01 AM am LMT +10:36 +10 .123 .123456 ,1|0001-01-31 10:36:19.123456789 +1036 LMT",
        "-1199-02-16 00:49:41.123456789 +1036 LMT|Friday Fri February Feb 2 02 16 16 16  47 047 00 12 12 49 49 41 41 -1199 99 AM am LMT +10:36 +10 .123 .123456 ,1|-1199-03-15 00:49:41.123456789 +1036 LMT",
        "3000-01-01 11:00:00.123456789 +1100 +11|Wednesday Wed January Jan 1 01 1  1 01   1 001 11 11 11 0 00 0 00 3000 00 AM am +11 +11:00 +11 .123 .123456 ,1|3000-01-31 11:00:00.123456789 +1100 +11",
        "1969-12-31 20:30:00.123456789 -0330 NST|Wednesday Wed December Dec 12 12 31 31 31 365 365 20 8 08 30 30 0 00 1969 69 PM pm NST -03:30 -03 .123 .123456 ,1|1970-01-30 20:30:00.123456789 -0330 NST",
        "1969-12-31 20:29:59.123456789 -0330 NST|Wednesday Wed December Dec 12 12 31 31 31 365 365 20 8 08 29 29 59 59 1969 69 PM pm NST -03:30 -03 .123 .123456 ,1|1970-01-30 20:29:59.123456789 -0330 NST",
        "2023-11-14 18:43:20.123456789 -0330 NST|Tuesday Tue November Nov 11 11 14 14 14 318 318 18 6 06 43 43 20 20 2023 23 PM pm NST -03:30 -03 .123 .123456 ,1|2023-12-13 18:43:20.123456789 -0330 NST",
        "2024-03-10 04:30:00.123456789 -0230 NDT|Sunday Sun March Mar 3 03 10 10 10  70 070 04 4 04 30 30 0 00 2024 24 AM am NDT -02:30 -02 .123 .123456 ,1|2024-04-09 04:30:00.123456789 -0230 NDT",
        "2024-03-10 04:29:59.123456789 -0230 NDT|Sunday Sun March Mar 3 03 10 10 10  70 070 04 4 04 29 29 59 59 2024 24 AM am NDT -02:30 -02 .123 .123456 ,1|2024-04-09 04:29:59.123456789 -0230 NDT",
        "2024-11-03 02:30:00.123456789 -0330 NST|Sunday Sun November Nov 11 11 3  3 03 308 308 02 2 02 30 30 0 00 2024 24 AM am NST -03:30 -03 .123 .123456 ,1|2024-12-02 02:30:00.123456789 -0330 NST",
        "2099-12-31 20:30:00.123456789 -0330 NST|Thursday Thu December Dec 12 12 31 31 31 365 365 20 8 08 30 30 0 00 2099 99 PM pm NST -03:30 -03 .123 .123456 ,1|2100-01-30 20:30:00.123456789 -0330 NST",
        "9999-12-31 20:29:59.123456789 -0330 NST|Friday Fri December Dec 12 12 31 31 31 365 365 20 8 08 29 29 59 59 9999 99 PM pm NST -03:30 -03 .123 .123456 ,1|10000-01-30 20:29:59.123456789 -0330 NST",
        "9999-12-31 20:30:00.123456789 -0330 NST|Friday Fri December Dec 12 12 31 31 31 365 365 20 8 08 30 30 0 00 9999 99 PM pm NST -03:30 -03 .123 .123456 ,1|10000-01-30 20:30:00.123456789 -0330 NST",
        "0000-12-31 20:29:08.123456789 -0330 LMT|Sunday Sun December Dec 12 12 31 31 31 366 366 20 8 08 29 29 8 08 0000 00 PM pm LMT -03:30 -03 .123 .123456 ,1|0001-01-30 20:29:08.123456789 -0330 LMT",
        "0000-12-31 20:29:07.123456789 -0330 LMT|Sunday Sun December Dec 12 12 31 31 31 366 366 20 8 08 29 29 7 07 0000 00 PM pm LMT -03:30 -03 .123 .123456 ,1|0001-01-30 20:29:07.123456789 -0330 LMT",
        "-1199-02-15 10:42:29.123456789 -0330 LMT|Thursday Thu February Feb 2 02 15 15 15  46 046 10 10 10 42 42 29 29 -1199 99 AM am LMT -03:30 -03 .123 .123456 ,1|-1199-03-14 10:42:29.123456789 -0330 LMT",
        "2999-12-31 20:30:00.123456789 -0330 NST|Tuesday Tue December Dec 12 12 31 31 31 365 365 20 8 08 30 30 0 00 2999 99 PM pm NST -03:30 -03 .123 .123456 ,1|3000-01-30 20:30:00.123456789 -0330 NST",
    ];

    #[test]
    fn format_and_add_date_match_go_in_zones() {
        let secs: [i64; 13] = [
            0,
            -1,
            1_700_000_000,
            1_710_054_000,
            1_710_053_999,
            1_730_613_600,
            4_102_444_800,
            253_402_300_799,
            253_402_300_800,
            -62_135_596_800,
            -62_135_596_801,
            -99_999_999_999,
            32_503_680_000,
        ];
        let zones =
            ["UTC", "America/New_York", "Asia/Kathmandu", "Europe/London", "Australia/Lord_Howe", "America/St_Johns"];
        let layout = "Monday Mon January Jan 1 01 2 _2 02 __2 002 15 3 03 4 04 5 05 2006 06 PM pm MST Z07:00 -07 .000 .999999 ,9";
        let mut want = FORMAT_CASES.iter();
        for zone in zones {
            let loc = Location::load(zone).unwrap();
            for sec in secs {
                let t = Time::unix(sec, 123_456_789).in_loc(loc.clone());
                let got = format!("{}|{}|{}", t.string(), t.format(layout), t.add_date(0, 1, -1).string());
                assert_eq!(&got, want.next().unwrap(), "{zone} {sec}");
            }
        }
    }
}

/// Whole templates through the engine, with the output (`OK …`) or error (`ERR …`) that Go's
/// text/template + sprig 3.2.3 gave for each (from a Go probe program).
#[cfg(test)]
mod render_tests {
    const CASES: &[(&str, &str)] = &[
        ("{{ toDate \"2006-01-02\" \"2020-05-06\" | date \"Jan 2, 2006 15:04 MST\" }}", "OK May 6, 2020 00:00 UTC"),
        ("{{ toDate \"2006-01-02\" \"2020-05-06\" | unixEpoch }}", "OK 1588723200"),
        (
            "{{ dateInZone \"2006-01-02T15:04:05Z07:00\" (toDate \"2006-01-02 15:04\" \"2021-07-08 09:10\") \"America/Los_Angeles\" }}",
            "OK 2021-07-08T02:10:00-07:00",
        ),
        ("{{ date_in_zone \"02/01/06\" 1600000000 \"Asia/Tokyo\" }}", "OK 13/09/20"),
        ("{{ htmlDateInZone 0 \"Pacific/Auckland\" }}", "OK 1970-01-01"),
        (
            "{{ (toDate \"2006-01-02\" \"2020-05-06\").Year }} {{ (toDate \"2006-01-02\" \"2020-05-06\").Month }} {{ (toDate \"2006-01-02\" \"2020-05-06\").Weekday }} {{ (toDate \"2006-01-02\" \"2020-05-06\").YearDay }}",
            "OK 2020 May Wednesday 127",
        ),
        ("{{ (toDate \"2006-01-02\" \"2020-05-06\").Format \"Monday\" }}", "OK Wednesday"),
        ("{{ (toDate \"2006-01-02\" \"2020-05-06\").AddDate 1 2 3 }}", "OK 2021-07-09 00:00:00 +0000 UTC"),
        ("{{ (toDate \"2006-01-02\" \"2020-05-06\").UTC.Unix }}", "OK 1588723200"),
        ("{{ (toDate \"2006-01-02\" \"2020-05-06\").Add 1500000000 }}", "OK 2020-05-06 00:00:01.5 +0000 UTC"),
        (
            "{{ dateModify \"+36h\" (toDate \"2006-01-02\" \"2020-05-06\") | date \"2006-01-02 15h\" }}",
            "OK 2020-05-07 12h",
        ),
        ("{{ date_modify \"x\" (toDate \"2006-01-02\" \"2020-05-06\") }}", "OK 2020-05-06 00:00:00 +0000 UTC"),
        ("{{ must_date_modify \"-1m\" (toDate \"2006-01-02\" \"2020-05-06\") }}", "OK 2020-05-05 23:59:00 +0000 UTC"),
        (
            "{{ mustDateModify \"1y\" (toDate \"2006-01-02\" \"2020-05-06\") }}",
            "ERR template: t:1:3: executing \"t\" at <mustDateModify \"1y\" (toDate \"2006-01-02\" \"2020-05-06\")>: error calling mustDateModify: time: unknown unit \"y\" in duration \"1y\"",
        ),
        (
            "{{ mustToDate \"2006-01-02\" \"2020-13-06\" }}",
            "ERR template: t:1:3: executing \"t\" at <mustToDate \"2006-01-02\" \"2020-13-06\">: error calling mustToDate: parsing time \"2020-13-06\": month out of range",
        ),
        ("{{ toDate \"2006-01-02\" \"bogus\" }}", "OK 0001-01-01 00:00:00 +0000 UTC"),
        (
            "{{ duration \"95\" }} {{ duration 95 }} {{ durationRound \"3h10m\" }} {{ durationRound \"-90s\" }}",
            "OK 1m35s 0s 3h 1m",
        ),
        (
            "{{ dateModify \"1h\" \"2020-01-01\" }}",
            "ERR template: t:1:19: executing \"t\" at <\"2020-01-01\">: can't handle \"2020-01-01\" for arg of type time.Time",
        ),
        ("{{ unixEpoch 5 }}", "ERR template: t:1:13: executing \"t\" at <5>: can't handle 5 for arg of type time.Time"),
        ("{{ (toDate \"2006-01-02\" \"2020-05-06\").Location }}", "OK Local"),
        ("{{ (toDate \"2006-01-02\" \"2020-05-06\").Sub (toDate \"2006-01-02\" \"2020-05-01\") }}", "OK 120h0m0s"),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(CASES);
    }
}
