//! sprig's date functions (`date.go`): `now`, `date`, `dateInZone`, `dateModify`, `toDate`,
//! `ago`, `duration`, `durationRound`, `unixEpoch`, `htmlDate`, …, and `time.Time` as a
//! template value (its methods `.Unix`, `.Year`, `.Format "…"`, `.UTC`, `.Add`, …).
//!
//! The clock and layouts are Go's ([`super::go_time`]); what each function accepts (which Go
//! types count as a date, what a bad input turns into) is sprig's, read from its source.

use std::any::Any;
use std::sync::Arc;

pub(super) mod go_time;

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
}
