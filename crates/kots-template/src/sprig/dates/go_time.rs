//! Go's `time` package, as far as sprig's date functions and templates reach it: `time.Time`
//! with its location and monotonic reading, layouts (`Format`, `Parse`, `ParseInLocation`),
//! `time.Duration` (`String`, `ParseDuration`), and locations loaded from the system's tzdata
//! as Go loads them (`$TZ`, `/etc/localtime`, `/usr/share/zoneinfo`).
//!
//! Layout formatting and parsing are ported from Go's `time/format.go` line by line, because
//! templates print dates with arbitrary layouts and the bytes must be Go's. Only the offset
//! lookup of a zone at an instant is delegated to jiff (it reads the same TZif files and POSIX
//! rules Go reads).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Seconds from 0001-01-01 UTC to the Unix epoch (Go's zero `time.Time` is year 1).
pub const ZERO_UNIX: i64 = -62_135_596_800;

pub const MICROSECOND: i64 = 1_000;
pub const MILLISECOND: i64 = 1_000_000;
pub const SECOND: i64 = 1_000_000_000;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;

/// When the process started, for the monotonic reading Go prints as `m=+0.001234567`.
static START: OnceLock<Instant> = OnceLock::new();

/// Starts the monotonic clock (Go starts it when the process starts; we start it when sprig's
/// functions are built, which is as early as templates can see it).
pub fn start_clock() {
    START.get_or_init(Instant::now);
}

fn monotonic_now() -> i64 {
    let start = *START.get_or_init(Instant::now);
    // Go's startNano is one nanosecond before the first reading, so readings are never zero.
    i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX).saturating_add(1)
}

/// A `*time.Location`.
#[derive(Debug)]
pub struct Location {
    /// What `Location.String()` prints: `UTC`, `Local`, `America/New_York`, or a fixed zone's
    /// name.
    pub name: String,
    zone: Zone,
}

#[derive(Debug)]
enum Zone {
    Utc,
    Fixed { abbr: String, offset: i32 },
    Tz(TimeZone),
}

static UTC_LOC: OnceLock<Arc<Location>> = OnceLock::new();
static LOCAL_LOC: OnceLock<Arc<Location>> = OnceLock::new();

/// Where Go looks for zone files (`platformZoneSources`).
const ZONE_SOURCES: &[&str] =
    &["/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/", "/usr/lib/locale/TZ/", "/etc/zoneinfo/"];

impl Location {
    /// `time.UTC`.
    pub fn utc() -> Arc<Location> {
        UTC_LOC.get_or_init(|| Arc::new(Location { name: "UTC".to_string(), zone: Zone::Utc })).clone()
    }

    /// `time.Local`, initialised as Go's `initLocal` does: no `$TZ` → `/etc/localtime`;
    /// `$TZ=""` → UTC; `$TZ=[:]/path` → that file; `$TZ=[:]Name` → the zoneinfo file; any
    /// failure → UTC (named "UTC").
    pub fn local() -> Arc<Location> {
        LOCAL_LOC.get_or_init(|| Arc::new(init_local())).clone()
    }

    /// `time.FixedZone(name, offset)`.
    pub fn fixed(name: &str, offset: i32) -> Arc<Location> {
        Arc::new(Location { name: name.to_string(), zone: Zone::Fixed { abbr: name.to_string(), offset } })
    }

    /// `time.LoadLocation(name)`, with Go's error messages.
    pub fn load(name: &str) -> Result<Arc<Location>, String> {
        if name.is_empty() || name == "UTC" {
            return Ok(Location::utc());
        }
        if name == "Local" {
            return Ok(Location::local());
        }
        if name.contains("..") || name.starts_with('/') || name.starts_with('\\') {
            return Err("time: invalid location name".to_string());
        }
        if let Ok(dir) = std::env::var("ZONEINFO")
            && !dir.is_empty()
            && let Ok(data) = std::fs::read(std::path::Path::new(&dir).join(name))
            && let Ok(tz) = TimeZone::tzif(name, &data)
        {
            return Ok(Arc::new(Location { name: name.to_string(), zone: Zone::Tz(tz) }));
        }
        load_from(name, ZONE_SOURCES).ok_or_else(|| format!("unknown time zone {name}"))
    }

    /// The zone in effect at `unix`: its abbreviation and offset east of UTC in seconds
    /// (`Location.lookup`).
    pub fn lookup(&self, unix: i64) -> (String, i32) {
        match &self.zone {
            Zone::Utc => ("UTC".to_string(), 0),
            Zone::Fixed { abbr, offset } => (abbr.clone(), *offset),
            Zone::Tz(tz) => {
                let ts = Timestamp::from_second(unix.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second()))
                    .unwrap_or(Timestamp::UNIX_EPOCH);
                let info = tz.to_offset_info(ts);
                (info.abbreviation().to_string(), info.offset().seconds())
            }
        }
    }

    /// `Location.lookupName`: the offset of the zone called `name` near `unix`, first one in
    /// effect at that time, then any of that name.
    fn lookup_name(&self, name: &str, unix: i64) -> Option<i32> {
        let zones = self.zones_near(unix);
        for (abbr, offset) in &zones {
            if abbr == name {
                let (found, off) = self.lookup(unix - i64::from(*offset));
                if found == *abbr {
                    return Some(off);
                }
            }
        }
        zones.iter().find(|(abbr, _)| abbr == name).map(|(_, offset)| *offset)
    }

    /// The zones (abbreviation, offset) of this location around `unix`.
    fn zones_near(&self, unix: i64) -> Vec<(String, i32)> {
        match &self.zone {
            Zone::Utc | Zone::Fixed { .. } => vec![self.lookup(unix)],
            Zone::Tz(tz) => {
                let mut zones = vec![self.lookup(unix)];
                let ts = Timestamp::from_second(unix.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second()))
                    .unwrap_or(Timestamp::UNIX_EPOCH);
                for t in tz.preceding(ts).take(8).chain(tz.following(ts).take(8)) {
                    let zone = (t.abbreviation().to_string(), t.offset().seconds());
                    if !zones.contains(&zone) {
                        zones.push(zone);
                    }
                }
                zones
            }
        }
    }
}

fn load_from(name: &str, dirs: &[&str]) -> Option<Arc<Location>> {
    for dir in dirs {
        if let Ok(data) = std::fs::read(format!("{dir}{name}"))
            && let Ok(tz) = TimeZone::tzif(name, &data)
        {
            return Some(Arc::new(Location { name: name.to_string(), zone: Zone::Tz(tz) }));
        }
    }
    None
}

fn init_local() -> Location {
    let named = |loc: Option<Arc<Location>>, name: &str| {
        loc.and_then(|l| match &l.zone {
            Zone::Tz(tz) => Some(Location { name: name.to_string(), zone: Zone::Tz(tz.clone()) }),
            _ => None,
        })
    };
    match std::env::var_os("TZ") {
        None => {
            if let Some(loc) = named(load_from("localtime", &["/etc/"]), "Local") {
                return loc;
            }
        }
        Some(tz) => {
            let tz = tz.to_string_lossy().into_owned();
            let tz = tz.strip_prefix(':').unwrap_or(&tz).to_string();
            if tz.starts_with('/') {
                let name = if tz == "/etc/localtime" { "Local" } else { tz.as_str() };
                if let Some(loc) = named(load_from(&tz, &[""]), name) {
                    return loc;
                }
            } else if !tz.is_empty()
                && tz != "UTC"
                && let Some(loc) = named(load_from(&tz, ZONE_SOURCES), &tz)
            {
                return loc;
            }
        }
    }
    Location { name: "UTC".to_string(), zone: Zone::Utc }
}

/// A `time.Time`: an instant (Unix seconds and nanoseconds), the location it is shown in, and
/// the monotonic clock reading `time.Now` attaches (nanoseconds since the process started).
#[derive(Debug, Clone)]
pub struct Time {
    pub sec: i64,
    pub nsec: u32,
    pub mono: Option<i64>,
    pub loc: Arc<Location>,
}

/// Days from 1970-01-01 to the civil date (proleptic Gregorian; Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1-12, day) of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

pub const LONG_DAY_NAMES: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const SHORT_DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const SHORT_MONTH_NAMES: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
pub const LONG_MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The broken-down fields of a time in its location.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    /// 0 = Sunday.
    pub weekday: i64,
    /// 1-based day of the year.
    pub yday: i64,
}

fn norm(hi: i64, lo: i64, base: i64) -> (i64, i64) {
    (hi + lo.div_euclid(base), lo.rem_euclid(base))
}

impl Time {
    /// `time.Time{}`: 0001-01-01 00:00:00 UTC.
    pub fn zero() -> Time {
        Time { sec: ZERO_UNIX, nsec: 0, mono: None, loc: Location::utc() }
    }

    /// `time.Now()`: local time with a monotonic reading.
    pub fn now() -> Time {
        let mono = monotonic_now();
        let now = std::time::SystemTime::now();
        let (sec, nsec) = match now.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
            Err(e) => {
                let d = e.duration();
                let (s, n) = (-(d.as_secs() as i64), d.subsec_nanos());
                if n == 0 { (s, 0) } else { (s - 1, 1_000_000_000 - n) }
            }
        };
        Time { sec, nsec, mono: Some(mono), loc: Location::local() }
    }

    /// `time.Unix(sec, nsec)` in the local zone.
    pub fn unix(sec: i64, nsec: i64) -> Time {
        let (sec, nsec) = norm(sec, nsec, SECOND);
        Time { sec, nsec: nsec as u32, mono: None, loc: Location::local() }
    }

    /// `time.Date(year, month, day, hour, min, sec, nsec, loc)`, normalising out-of-range
    /// fields as Go does (October 32 is November 1).
    #[allow(clippy::too_many_arguments)]
    pub fn date(year: i64, month: i64, day: i64, hour: i64, min: i64, sec: i64, nsec: i64, loc: Arc<Location>) -> Time {
        let (year, m) = norm(year, month - 1, 12);
        let month = m + 1;
        let (sec, nsec) = norm(sec, nsec, SECOND);
        let (min, sec) = norm(min, sec, 60);
        let (hour, min) = norm(hour, min, 60);
        let (day, hour) = norm(day, hour, 24);
        let days = days_from_civil(year, month, 1) + day - 1;
        let mut unix = days * 86_400 + hour * 3600 + min * 60 + sec;
        let (_, offset) = loc.lookup(unix);
        if offset != 0 {
            let utc = unix - i64::from(offset);
            let (_, offset2) = loc.lookup(utc);
            unix -= i64::from(if offset2 != offset { offset2 } else { offset });
        }
        Time { sec: unix, nsec: nsec as u32, mono: None, loc }
    }

    /// The zone abbreviation and offset in effect at this time in its location.
    pub fn zone(&self) -> (String, i32) {
        self.loc.lookup(self.sec)
    }

    pub fn fields(&self) -> Fields {
        let (_, offset) = self.zone();
        let local = self.sec + i64::from(offset);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Fields {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs % 3600 / 60,
            second: secs % 60,
            weekday: (days + 4).rem_euclid(7),
            yday: days - days_from_civil(year, 1, 1) + 1,
        }
    }

    /// `t.In(loc)` (drops the monotonic reading, as Go does).
    pub fn in_loc(&self, loc: Arc<Location>) -> Time {
        Time { sec: self.sec, nsec: self.nsec, mono: None, loc }
    }

    /// `t.Add(d)`.
    pub fn add(&self, d: i64) -> Time {
        let mut dsec = d / SECOND;
        let mut nsec = i64::from(self.nsec) + d % SECOND;
        if nsec >= SECOND {
            dsec += 1;
            nsec -= SECOND;
        } else if nsec < 0 {
            dsec -= 1;
            nsec += SECOND;
        }
        let mono = self.mono.and_then(|m| m.checked_add(d));
        Time { sec: self.sec.wrapping_add(dsec), nsec: nsec as u32, mono, loc: self.loc.clone() }
    }

    /// `t.AddDate(years, months, days)`.
    pub fn add_date(&self, years: i64, months: i64, days: i64) -> Time {
        let f = self.fields();
        Time::date(
            f.year + years,
            f.month + months,
            f.day + days,
            f.hour,
            f.minute,
            f.second,
            i64::from(self.nsec),
            self.loc.clone(),
        )
    }

    /// `t.Sub(u)`, saturating at the bounds of `time.Duration`.
    pub fn sub(&self, u: &Time) -> i64 {
        if let (Some(a), Some(b)) = (self.mono, u.mono) {
            return a.saturating_sub(b);
        }
        let d = (i128::from(self.sec) - i128::from(u.sec)) * i128::from(SECOND) + i128::from(self.nsec)
            - i128::from(u.nsec);
        d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// `time.Since(t)`.
    pub fn since(&self) -> i64 {
        Time::now().sub(self)
    }

    /// Go's `t.Compare(u)` (monotonic readings when both have one).
    pub fn compare(&self, u: &Time) -> std::cmp::Ordering {
        if let (Some(a), Some(b)) = (self.mono, u.mono) {
            return a.cmp(&b);
        }
        (self.sec, self.nsec).cmp(&(u.sec, u.nsec))
    }

    pub fn is_zero(&self) -> bool {
        self.sec == ZERO_UNIX && self.nsec == 0
    }

    /// Nanoseconds since the zero time, modulo `d` (Go's `div` remainder).
    fn rem(&self, d: i64) -> i64 {
        let total = (i128::from(self.sec) - i128::from(ZERO_UNIX)) * i128::from(SECOND) + i128::from(self.nsec);
        total.rem_euclid(i128::from(d)) as i64
    }

    /// `t.Truncate(d)`.
    pub fn truncate(&self, d: i64) -> Time {
        let t = Time { mono: None, ..self.clone() };
        if d <= 0 {
            return t;
        }
        let r = t.rem(d);
        t.add(-r)
    }

    /// `t.Round(d)`.
    pub fn round(&self, d: i64) -> Time {
        let t = Time { mono: None, ..self.clone() };
        if d <= 0 {
            return t;
        }
        let r = t.rem(d);
        if less_than_half(r, d) { t.add(-r) } else { t.add(d - r) }
    }

    pub fn unix_nano(&self) -> i64 {
        self.sec.wrapping_mul(SECOND).wrapping_add(i64::from(self.nsec))
    }

    /// `t.Format(layout)`.
    pub fn format(&self, layout: &str) -> String {
        let (name, offset) = self.zone();
        let f = self.fields();
        let mut b = String::with_capacity(layout.len() + 10);
        let mut layout = layout;
        while !layout.is_empty() {
            let (prefix, std, suffix) = next_std_chunk(layout);
            b.push_str(prefix);
            if std == 0 {
                break;
            }
            layout = suffix;
            match std & STD_MASK {
                STD_YEAR => append_int(&mut b, f.year.abs() % 100, 2),
                STD_LONG_YEAR => append_int(&mut b, f.year, 4),
                STD_MONTH => b.push_str(&LONG_MONTH_NAMES[(f.month - 1) as usize][..3]),
                STD_LONG_MONTH => b.push_str(LONG_MONTH_NAMES[(f.month - 1) as usize]),
                STD_NUM_MONTH => append_int(&mut b, f.month, 0),
                STD_ZERO_MONTH => append_int(&mut b, f.month, 2),
                STD_WEEK_DAY => b.push_str(&LONG_DAY_NAMES[f.weekday as usize][..3]),
                STD_LONG_WEEK_DAY => b.push_str(LONG_DAY_NAMES[f.weekday as usize]),
                STD_DAY => append_int(&mut b, f.day, 0),
                STD_UNDER_DAY => {
                    if f.day < 10 {
                        b.push(' ');
                    }
                    append_int(&mut b, f.day, 0);
                }
                STD_ZERO_DAY => append_int(&mut b, f.day, 2),
                STD_UNDER_YEAR_DAY => {
                    if f.yday < 100 {
                        b.push(' ');
                        if f.yday < 10 {
                            b.push(' ');
                        }
                    }
                    append_int(&mut b, f.yday, 0);
                }
                STD_ZERO_YEAR_DAY => append_int(&mut b, f.yday, 3),
                STD_HOUR => append_int(&mut b, f.hour, 2),
                STD_HOUR12 | STD_ZERO_HOUR12 => {
                    let hr = if f.hour % 12 == 0 { 12 } else { f.hour % 12 };
                    append_int(&mut b, hr, if std == STD_HOUR12 { 0 } else { 2 });
                }
                STD_MINUTE => append_int(&mut b, f.minute, 0),
                STD_ZERO_MINUTE => append_int(&mut b, f.minute, 2),
                STD_SECOND => append_int(&mut b, f.second, 0),
                STD_ZERO_SECOND => append_int(&mut b, f.second, 2),
                STD_PM => b.push_str(if f.hour >= 12 { "PM" } else { "AM" }),
                STD_LOWER_PM => b.push_str(if f.hour >= 12 { "pm" } else { "am" }),
                STD_ISO8601_TZ..=STD_NUM_COLON_SECONDS_TZ => {
                    let iso = (STD_ISO8601_TZ..=STD_ISO8601_COLON_SECONDS_TZ).contains(&std);
                    if offset == 0 && iso {
                        b.push('Z');
                        continue;
                    }
                    let mut zone = offset / 60;
                    let mut absoffset = offset;
                    if zone < 0 {
                        b.push('-');
                        zone = -zone;
                        absoffset = -absoffset;
                    } else {
                        b.push('+');
                    }
                    append_int(&mut b, i64::from(zone / 60), 2);
                    if matches!(
                        std,
                        STD_ISO8601_COLON_TZ
                            | STD_NUM_COLON_TZ
                            | STD_ISO8601_COLON_SECONDS_TZ
                            | STD_NUM_COLON_SECONDS_TZ
                    ) {
                        b.push(':');
                    }
                    if std != STD_NUM_SHORT_TZ && std != STD_ISO8601_SHORT_TZ {
                        append_int(&mut b, i64::from(zone % 60), 2);
                    }
                    if matches!(
                        std,
                        STD_ISO8601_SECONDS_TZ
                            | STD_NUM_SECONDS_TZ
                            | STD_NUM_COLON_SECONDS_TZ
                            | STD_ISO8601_COLON_SECONDS_TZ
                    ) {
                        if std == STD_NUM_COLON_SECONDS_TZ || std == STD_ISO8601_COLON_SECONDS_TZ {
                            b.push(':');
                        }
                        append_int(&mut b, i64::from(absoffset % 60), 2);
                    }
                }
                STD_TZ => {
                    if !name.is_empty() {
                        b.push_str(&name);
                        continue;
                    }
                    let mut zone = offset / 60;
                    if zone < 0 {
                        b.push('-');
                        zone = -zone;
                    } else {
                        b.push('+');
                    }
                    append_int(&mut b, i64::from(zone / 60), 2);
                    append_int(&mut b, i64::from(zone % 60), 2);
                }
                STD_FRAC_SECOND0 | STD_FRAC_SECOND9 => append_nano(&mut b, self.nsec, std),
                _ => {}
            }
        }
        b
    }

    /// `t.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`, and ` m=±S.NNNNNNNNN` when the
    /// time carries a monotonic reading.
    pub fn string(&self) -> String {
        let mut s = self.format("2006-01-02 15:04:05.999999999 -0700 MST");
        if let Some(m) = self.mono {
            s.push_str(" m=");
            s.push(if m < 0 { '-' } else { '+' });
            let m2 = m.unsigned_abs();
            let (m1, m2) = (m2 / 1_000_000_000, m2 % 1_000_000_000);
            let (m0, m1) = (m1 / 1_000_000_000, m1 % 1_000_000_000);
            let mut wid = 0;
            if m0 != 0 {
                append_int(&mut s, m0 as i64, 0);
                wid = 9;
            }
            append_int(&mut s, m1 as i64, wid);
            s.push('.');
            append_int(&mut s, m2 as i64, 9);
        }
        s
    }
}

fn less_than_half(x: i64, y: i64) -> bool {
    (x as u64).wrapping_add(x as u64) < y as u64
}

// The layout elements (Go's std* constants; the flag bits Go adds are not needed here).
const STD_LONG_MONTH: u32 = 1;
const STD_MONTH: u32 = 2;
const STD_NUM_MONTH: u32 = 3;
const STD_ZERO_MONTH: u32 = 4;
const STD_LONG_WEEK_DAY: u32 = 5;
const STD_WEEK_DAY: u32 = 6;
const STD_DAY: u32 = 7;
const STD_UNDER_DAY: u32 = 8;
const STD_ZERO_DAY: u32 = 9;
const STD_UNDER_YEAR_DAY: u32 = 10;
const STD_ZERO_YEAR_DAY: u32 = 11;
const STD_HOUR: u32 = 12;
const STD_HOUR12: u32 = 13;
const STD_ZERO_HOUR12: u32 = 14;
const STD_MINUTE: u32 = 15;
const STD_ZERO_MINUTE: u32 = 16;
const STD_SECOND: u32 = 17;
const STD_ZERO_SECOND: u32 = 18;
const STD_LONG_YEAR: u32 = 19;
const STD_YEAR: u32 = 20;
const STD_PM: u32 = 21;
const STD_LOWER_PM: u32 = 22;
const STD_TZ: u32 = 23;
const STD_ISO8601_TZ: u32 = 24;
const STD_ISO8601_SECONDS_TZ: u32 = 25;
const STD_ISO8601_SHORT_TZ: u32 = 26;
const STD_ISO8601_COLON_TZ: u32 = 27;
const STD_ISO8601_COLON_SECONDS_TZ: u32 = 28;
const STD_NUM_TZ: u32 = 29;
const STD_NUM_SECONDS_TZ: u32 = 30;
const STD_NUM_SHORT_TZ: u32 = 31;
const STD_NUM_COLON_TZ: u32 = 32;
const STD_NUM_COLON_SECONDS_TZ: u32 = 33;
const STD_FRAC_SECOND0: u32 = 34;
const STD_FRAC_SECOND9: u32 = 35;
const STD_ARG_SHIFT: u32 = 16;
const STD_SEPARATOR_SHIFT: u32 = 28;
const STD_MASK: u32 = (1 << STD_ARG_SHIFT) - 1;

const STD0X: [u32; 6] = [STD_ZERO_MONTH, STD_ZERO_DAY, STD_ZERO_HOUR12, STD_ZERO_MINUTE, STD_ZERO_SECOND, STD_YEAR];

fn starts_with_lower(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_lowercase)
}

fn is_digit(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(u8::is_ascii_digit)
}

/// Go's `nextStdChunk`: the text before the first layout element, the element, and the rest.
fn next_std_chunk(layout: &str) -> (&str, u32, &str) {
    let l = layout.as_bytes();
    let n = l.len();
    let has = |i: usize, s: &str| l[i..].starts_with(s.as_bytes());
    for i in 0..n {
        let c = l[i];
        let found: Option<(usize, u32, usize)> = match c {
            b'J' if has(i, "Jan") => {
                if has(i, "January") {
                    Some((i, STD_LONG_MONTH, i + 7))
                } else if !starts_with_lower(&l[i + 3..]) {
                    Some((i, STD_MONTH, i + 3))
                } else {
                    None
                }
            }
            b'M' if n >= i + 3 => {
                if has(i, "Mon") {
                    if has(i, "Monday") {
                        Some((i, STD_LONG_WEEK_DAY, i + 6))
                    } else if !starts_with_lower(&l[i + 3..]) {
                        Some((i, STD_WEEK_DAY, i + 3))
                    } else {
                        None
                    }
                } else if has(i, "MST") {
                    Some((i, STD_TZ, i + 3))
                } else {
                    None
                }
            }
            b'0' => {
                if n >= i + 2 && (b'1'..=b'6').contains(&l[i + 1]) {
                    Some((i, STD0X[(l[i + 1] - b'1') as usize], i + 2))
                } else if n >= i + 3 && l[i + 1] == b'0' && l[i + 2] == b'2' {
                    Some((i, STD_ZERO_YEAR_DAY, i + 3))
                } else {
                    None
                }
            }
            b'1' => {
                if n >= i + 2 && l[i + 1] == b'5' {
                    Some((i, STD_HOUR, i + 2))
                } else {
                    Some((i, STD_NUM_MONTH, i + 1))
                }
            }
            b'2' => {
                if has(i, "2006") {
                    Some((i, STD_LONG_YEAR, i + 4))
                } else {
                    Some((i, STD_DAY, i + 1))
                }
            }
            b'_' => {
                if n >= i + 2 && l[i + 1] == b'2' {
                    if has(i + 1, "2006") {
                        // `_2006` is a literal underscore and a year.
                        return (&layout[..i + 1], STD_LONG_YEAR, &layout[i + 5..]);
                    }
                    Some((i, STD_UNDER_DAY, i + 2))
                } else if n >= i + 3 && l[i + 1] == b'_' && l[i + 2] == b'2' {
                    Some((i, STD_UNDER_YEAR_DAY, i + 3))
                } else {
                    None
                }
            }
            b'3' => Some((i, STD_HOUR12, i + 1)),
            b'4' => Some((i, STD_MINUTE, i + 1)),
            b'5' => Some((i, STD_SECOND, i + 1)),
            b'P' if n >= i + 2 && l[i + 1] == b'M' => Some((i, STD_PM, i + 2)),
            b'p' if n >= i + 2 && l[i + 1] == b'm' => Some((i, STD_LOWER_PM, i + 2)),
            b'-' => {
                if has(i, "-070000") {
                    Some((i, STD_NUM_SECONDS_TZ, i + 7))
                } else if has(i, "-07:00:00") {
                    Some((i, STD_NUM_COLON_SECONDS_TZ, i + 9))
                } else if has(i, "-0700") {
                    Some((i, STD_NUM_TZ, i + 5))
                } else if has(i, "-07:00") {
                    Some((i, STD_NUM_COLON_TZ, i + 6))
                } else if has(i, "-07") {
                    Some((i, STD_NUM_SHORT_TZ, i + 3))
                } else {
                    None
                }
            }
            b'Z' => {
                if has(i, "Z070000") {
                    Some((i, STD_ISO8601_SECONDS_TZ, i + 7))
                } else if has(i, "Z07:00:00") {
                    Some((i, STD_ISO8601_COLON_SECONDS_TZ, i + 9))
                } else if has(i, "Z0700") {
                    Some((i, STD_ISO8601_TZ, i + 5))
                } else if has(i, "Z07:00") {
                    Some((i, STD_ISO8601_COLON_TZ, i + 6))
                } else if has(i, "Z07") {
                    Some((i, STD_ISO8601_SHORT_TZ, i + 3))
                } else {
                    None
                }
            }
            b'.' | b',' if i + 1 < n && (l[i + 1] == b'0' || l[i + 1] == b'9') => {
                let ch = l[i + 1];
                let mut j = i + 1;
                while j < n && l[j] == ch {
                    j += 1;
                }
                if !is_digit(l, j) {
                    let code = if ch == b'9' { STD_FRAC_SECOND9 } else { STD_FRAC_SECOND0 };
                    let mut std = code | ((((j - (i + 1)) & 0xfff) as u32) << STD_ARG_SHIFT);
                    if c == b',' {
                        std |= 1 << STD_SEPARATOR_SHIFT;
                    }
                    Some((i, std, j))
                } else {
                    None
                }
            }
            _ => None,
        };
        if let Some((start, std, end)) = found {
            return (&layout[..start], std, &layout[end..]);
        }
    }
    (layout, 0, "")
}

fn digits_len(std: u32) -> usize {
    ((std >> STD_ARG_SHIFT) & 0xfff) as usize
}

fn separator(std: u32) -> char {
    if std >> STD_SEPARATOR_SHIFT == 0 { '.' } else { ',' }
}

/// Go's `appendInt`: `x` in decimal, zero-padded to `width` digits (after the sign).
fn append_int(b: &mut String, x: i64, width: usize) {
    if x < 0 {
        b.push('-');
    }
    let digits = x.unsigned_abs().to_string();
    for _ in digits.len()..width {
        b.push('0');
    }
    b.push_str(&digits);
}

fn append_nano(b: &mut String, nanosec: u32, std: u32) {
    let trim = std & STD_MASK == STD_FRAC_SECOND9;
    let n = digits_len(std);
    if trim && (n == 0 || nanosec == 0) {
        return;
    }
    let dot = separator(std);
    let mut frac = format!("{nanosec:09}");
    if n < 9 {
        frac.truncate(n);
    }
    if trim {
        while frac.ends_with('0') {
            frac.pop();
        }
        if frac.is_empty() {
            return;
        }
    }
    b.push(dot);
    b.push_str(&frac);
}

/// Go's `time.quote` (used in parse errors): ASCII kept, other bytes as `\xNN`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if (c as u32) >= 0x80 || c < ' ' {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{byte:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

fn parse_error(layout: &str, value: &str, layout_elem: &str, value_elem: &str, message: &str) -> String {
    if message.is_empty() {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            quote(value),
            quote(layout),
            quote(value_elem),
            quote(layout_elem)
        )
    } else {
        format!("parsing time {}{}", quote(value), message)
    }
}

/// `getnum`: one or two digits (`fixed`: exactly two).
fn getnum(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    if !is_digit(b, 0) {
        return None;
    }
    if !is_digit(b, 1) {
        if fixed {
            return None;
        }
        return Some((i64::from(b[0] - b'0'), &s[1..]));
    }
    Some((i64::from(b[0] - b'0') * 10 + i64::from(b[1] - b'0'), &s[2..]))
}

fn getnum3(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    let mut n = 0;
    let mut i = 0;
    while i < 3 && is_digit(b, i) {
        n = n * 10 + i64::from(b[i] - b'0');
        i += 1;
    }
    if i == 0 || (fixed && i != 3) {
        return None;
    }
    Some((n, &s[i..]))
}

fn skip<'a>(mut value: &'a str, mut prefix: &str) -> Result<&'a str, &'a str> {
    while !prefix.is_empty() {
        if prefix.as_bytes()[0] == b' ' {
            if !value.is_empty() && value.as_bytes()[0] != b' ' {
                return Err(value);
            }
            prefix = prefix.trim_start_matches(' ');
            value = value.trim_start_matches(' ');
            continue;
        }
        if value.is_empty() || value.as_bytes()[0] != prefix.as_bytes()[0] {
            return Err(value);
        }
        // Both start with the same byte; advance by that character in each.
        let len = prefix.chars().next().map_or(1, char::len_utf8);
        if !value.is_char_boundary(len) || value[..len] != prefix[..len] {
            return Err(value);
        }
        prefix = &prefix[len..];
        value = &value[len..];
    }
    Ok(value)
}

/// Go's case-insensitive (ASCII letters) comparison of equal-length strings.
fn match_fold(s1: &[u8], s2: &[u8]) -> bool {
    s1.iter().zip(s2).all(|(&c1, &c2)| {
        if c1 == c2 {
            return true;
        }
        let (c1, c2) = (c1 | 0x20, c2 | 0x20);
        c1 == c2 && c1.is_ascii_lowercase()
    })
}

fn lookup<'a>(tab: &[&str], val: &'a str) -> Option<(i64, &'a str)> {
    for (i, v) in tab.iter().enumerate() {
        if val.len() >= v.len() && match_fold(&val.as_bytes()[..v.len()], v.as_bytes()) {
            return Some((i as i64, &val[v.len()..]));
        }
    }
    None
}

/// `leadingInt`: the leading decimal digits (an error past 2^63).
fn leading_int(s: &str) -> Option<(u64, &str)> {
    let b = s.as_bytes();
    let mut x: u64 = 0;
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        if x > (1 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(b[i] - b'0');
        if x > 1 << 63 {
            return None;
        }
        i += 1;
    }
    Some((x, &s[i..]))
}

/// Go's `time.atoi`: an optional sign and digits, nothing else.
fn atoi(s: &str) -> Option<i64> {
    let (neg, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (q, rem) = leading_int(s)?;
    if !rem.is_empty() {
        return None;
    }
    let x = q as i64;
    Some(if neg { x.wrapping_neg() } else { x })
}

fn comma_or_period(b: u8) -> bool {
    b == b'.' || b == b','
}

/// `parseNanoseconds`: `value[..nbytes]` is a separator and digits.
fn parse_nanoseconds(value: &str, nbytes: usize) -> Result<(i64, &'static str), ()> {
    if !comma_or_period(value.as_bytes()[0]) {
        return Err(());
    }
    let nbytes = nbytes.min(10);
    let digits = value.get(1..nbytes).ok_or(())?;
    let mut ns = atoi(digits).ok_or(())?;
    if ns < 0 {
        return Ok((0, "fractional second"));
    }
    for _ in 0..(10 - nbytes) {
        ns *= 10;
    }
    Ok((ns, ""))
}

fn parse_signed_offset(value: &str) -> usize {
    let sign = value.as_bytes()[0];
    if sign != b'-' && sign != b'+' {
        return 0;
    }
    match leading_int(&value[1..]) {
        Some((x, rem)) if rem.len() != value.len() - 1 && x <= 23 => value.len() - rem.len(),
        _ => 0,
    }
}

fn parse_time_zone(value: &str) -> Option<usize> {
    let b = value.as_bytes();
    if b.len() < 3 {
        return None;
    }
    if b.len() >= 4 && (&b[..4] == b"ChST" || &b[..4] == b"MeST") {
        return Some(4);
    }
    if &b[..3] == b"GMT" {
        let rest = &value[3..];
        return Some(if rest.is_empty() { 3 } else { 3 + parse_signed_offset(rest) });
    }
    if b[0] == b'+' || b[0] == b'-' {
        let n = parse_signed_offset(value);
        return if n > 0 { Some(n) } else { None };
    }
    let mut upper = 0;
    while upper < 6 && upper < b.len() && b[upper].is_ascii_uppercase() {
        upper += 1;
    }
    match upper {
        5 if b[4] == b'T' => Some(5),
        4 if b[3] == b'T' || &b[..4] == b"WITA" => Some(4),
        3 => Some(3),
        _ => None,
    }
}

/// `time.ParseInLocation(layout, value, loc)` (and `time.Parse` with `loc` = UTC and
/// `local` = Local): Go's error messages included.
pub fn parse_in_location(
    layout: &str,
    value: &str,
    default_loc: Arc<Location>,
    local: Arc<Location>,
) -> Result<Time, String> {
    let (alayout, avalue) = (layout, value);
    let mut layout = layout;
    let mut value = value;
    let mut range_err = "";
    let (mut am_set, mut pm_set) = (false, false);
    let mut year: i64 = 0;
    let mut month: i64 = -1;
    let mut day: i64 = -1;
    let mut yday: i64 = -1;
    let (mut hour, mut min, mut sec, mut nsec) = (0i64, 0i64, 0i64, 0i64);
    let mut z: Option<Arc<Location>> = None;
    let mut zone_offset: i64 = -1;
    let mut zone_name = String::new();

    loop {
        let (prefix, std, suffix) = next_std_chunk(layout);
        let stdstr = &layout[prefix.len()..layout.len() - suffix.len()];
        value = match skip(value, prefix) {
            Ok(v) => v,
            Err(v) => return Err(parse_error(alayout, avalue, prefix, v, "")),
        };
        if std == 0 {
            if !value.is_empty() {
                return Err(parse_error(alayout, avalue, "", value, &format!(": extra text: {}", quote(value))));
            }
            break;
        }
        layout = suffix;
        let hold = value;
        let mut ok = true;
        let vb = value.as_bytes();
        match std & STD_MASK {
            STD_YEAR => {
                if vb.len() < 2 || !value.is_char_boundary(2) {
                    ok = false;
                } else {
                    let p = &value[..2];
                    value = &value[2..];
                    match atoi(p) {
                        Some(y) => year = if y >= 69 { y + 1900 } else { y + 2000 },
                        None => ok = false,
                    }
                }
            }
            STD_LONG_YEAR => {
                if vb.len() < 4 || !is_digit(vb, 0) || !value.is_char_boundary(4) {
                    ok = false;
                } else {
                    let p = &value[..4];
                    value = &value[4..];
                    match atoi(p) {
                        Some(y) => year = y,
                        None => ok = false,
                    }
                }
            }
            STD_MONTH | STD_LONG_MONTH => {
                let tab: &[&str] = if std == STD_MONTH { &SHORT_MONTH_NAMES } else { &LONG_MONTH_NAMES };
                match lookup(tab, value) {
                    Some((m, rest)) => {
                        month = m + 1;
                        value = rest;
                    }
                    None => {
                        month = 0;
                        ok = false;
                    }
                }
            }
            STD_NUM_MONTH | STD_ZERO_MONTH => match getnum(value, std == STD_ZERO_MONTH) {
                Some((m, rest)) => {
                    month = m;
                    value = rest;
                    if month <= 0 || 12 < month {
                        range_err = "month";
                    }
                }
                None => {
                    month = 0;
                    ok = false;
                }
            },
            STD_WEEK_DAY | STD_LONG_WEEK_DAY => {
                let tab: &[&str] = if std == STD_WEEK_DAY { &SHORT_DAY_NAMES } else { &LONG_DAY_NAMES };
                match lookup(tab, value) {
                    Some((_, rest)) => value = rest,
                    None => ok = false,
                }
            }
            STD_DAY | STD_UNDER_DAY | STD_ZERO_DAY => {
                if std == STD_UNDER_DAY && value.starts_with(' ') {
                    value = &value[1..];
                }
                match getnum(value, std == STD_ZERO_DAY) {
                    Some((d, rest)) => {
                        day = d;
                        value = rest;
                    }
                    None => {
                        day = 0;
                        ok = false;
                    }
                }
            }
            STD_UNDER_YEAR_DAY | STD_ZERO_YEAR_DAY => {
                for _ in 0..2 {
                    if std == STD_UNDER_YEAR_DAY && value.starts_with(' ') {
                        value = &value[1..];
                    }
                }
                match getnum3(value, std == STD_ZERO_YEAR_DAY) {
                    Some((d, rest)) => {
                        yday = d;
                        value = rest;
                    }
                    None => {
                        yday = 0;
                        ok = false;
                    }
                }
            }
            STD_HOUR => match getnum(value, false) {
                Some((h, rest)) => {
                    hour = h;
                    value = rest;
                    if !(0..24).contains(&hour) {
                        range_err = "hour";
                    }
                }
                None => {
                    hour = 0;
                    ok = false;
                }
            },
            STD_HOUR12 | STD_ZERO_HOUR12 => match getnum(value, std == STD_ZERO_HOUR12) {
                Some((h, rest)) => {
                    hour = h;
                    value = rest;
                    if !(0..=12).contains(&hour) {
                        range_err = "hour";
                    }
                }
                None => {
                    hour = 0;
                    ok = false;
                }
            },
            STD_MINUTE | STD_ZERO_MINUTE => match getnum(value, std == STD_ZERO_MINUTE) {
                Some((m, rest)) => {
                    min = m;
                    value = rest;
                    if !(0..60).contains(&min) {
                        range_err = "minute";
                    }
                }
                None => {
                    min = 0;
                    ok = false;
                }
            },
            STD_SECOND | STD_ZERO_SECOND => match getnum(value, std == STD_ZERO_SECOND) {
                Some((s, rest)) => {
                    sec = s;
                    value = rest;
                    if !(0..60).contains(&sec) {
                        range_err = "second";
                    } else {
                        let vb = value.as_bytes();
                        if vb.len() >= 2 && comma_or_period(vb[0]) && is_digit(vb, 1) {
                            let (_, next, _) = next_std_chunk(layout);
                            let next = next & STD_MASK;
                            if next != STD_FRAC_SECOND0 && next != STD_FRAC_SECOND9 {
                                let mut n = 2;
                                while n < vb.len() && is_digit(vb, n) {
                                    n += 1;
                                }
                                match parse_nanoseconds(value, n) {
                                    Ok((ns, re)) => {
                                        nsec = ns;
                                        range_err = re;
                                    }
                                    Err(()) => ok = false,
                                }
                                value = &value[n..];
                            }
                        }
                    }
                }
                None => {
                    sec = 0;
                    ok = false;
                }
            },
            STD_PM | STD_LOWER_PM => {
                if vb.len() < 2 || !value.is_char_boundary(2) {
                    ok = false;
                } else {
                    let p = &value[..2];
                    value = &value[2..];
                    let (pm, am) = if std == STD_PM { ("PM", "AM") } else { ("pm", "am") };
                    if p == pm {
                        pm_set = true;
                    } else if p == am {
                        am_set = true;
                    } else {
                        ok = false;
                    }
                }
            }
            STD_ISO8601_TZ..=STD_NUM_COLON_SECONDS_TZ => {
                let iso = (STD_ISO8601_TZ..=STD_ISO8601_COLON_SECONDS_TZ).contains(&std);
                if iso && value.starts_with('Z') {
                    value = &value[1..];
                    z = Some(Location::utc());
                } else {
                    let need = match std {
                        STD_ISO8601_COLON_TZ | STD_NUM_COLON_TZ => 6,
                        STD_NUM_SHORT_TZ | STD_ISO8601_SHORT_TZ => 3,
                        STD_ISO8601_COLON_SECONDS_TZ | STD_NUM_COLON_SECONDS_TZ => 9,
                        STD_ISO8601_SECONDS_TZ | STD_NUM_SECONDS_TZ => 7,
                        _ => 5,
                    };
                    if vb.len() < need || !value.is_char_boundary(need) {
                        ok = false;
                    } else {
                        let (sign, h, m, s): (u8, &[u8], &[u8], &[u8]) = match need {
                            6 if vb[3] == b':' => (vb[0], &vb[1..3], &vb[4..6], b"00"),
                            3 => (vb[0], &vb[1..3], b"00", b"00"),
                            9 if vb[3] == b':' && vb[6] == b':' => (vb[0], &vb[1..3], &vb[4..6], &vb[7..9]),
                            7 => (vb[0], &vb[1..3], &vb[3..5], &vb[5..7]),
                            5 => (vb[0], &vb[1..3], &vb[3..5], b"00"),
                            _ => (0, b"", b"", b""),
                        };
                        if sign == 0 {
                            ok = false;
                        } else {
                            value = &value[need..];
                            let two = |d: &[u8]| {
                                if d.len() == 2 && d[0].is_ascii_digit() && d[1].is_ascii_digit() {
                                    Some(i64::from(d[0] - b'0') * 10 + i64::from(d[1] - b'0'))
                                } else {
                                    None
                                }
                            };
                            // Go stops at the first bad number and leaves the rest zero.
                            let (hr, mm, ss) = match two(h) {
                                None => {
                                    ok = false;
                                    (0, 0, 0)
                                }
                                Some(hr) => match two(m) {
                                    None => {
                                        ok = false;
                                        (hr, 0, 0)
                                    }
                                    Some(mm) => match two(s) {
                                        None => {
                                            ok = false;
                                            (hr, mm, 0)
                                        }
                                        Some(ss) => (hr, mm, ss),
                                    },
                                },
                            };
                            if hr > 24 {
                                range_err = "time zone offset hour";
                            }
                            if mm > 60 {
                                range_err = "time zone offset minute";
                            }
                            if ss > 60 {
                                range_err = "time zone offset second";
                            }
                            zone_offset = (hr * 60 + mm) * 60 + ss;
                            match sign {
                                b'+' => {}
                                b'-' => zone_offset = -zone_offset,
                                _ => ok = false,
                            }
                        }
                    }
                }
            }
            STD_TZ => {
                if value.starts_with("UTC") {
                    z = Some(Location::utc());
                    value = &value[3..];
                } else {
                    match parse_time_zone(value) {
                        Some(n) if value.is_char_boundary(n) => {
                            zone_name = value[..n].to_string();
                            value = &value[n..];
                        }
                        _ => ok = false,
                    }
                }
            }
            STD_FRAC_SECOND0 => {
                let ndigit = 1 + digits_len(std);
                if vb.len() < ndigit || !value.is_char_boundary(ndigit) {
                    ok = false;
                } else {
                    match parse_nanoseconds(value, ndigit) {
                        Ok((ns, re)) => {
                            nsec = ns;
                            range_err = re;
                        }
                        Err(()) => ok = false,
                    }
                    value = &value[ndigit..];
                }
            }
            STD_FRAC_SECOND9 if vb.len() >= 2 && comma_or_period(vb[0]) && vb[1].is_ascii_digit() => {
                let mut i = 0;
                while i + 1 < vb.len() && vb[i + 1].is_ascii_digit() {
                    i += 1;
                }
                match parse_nanoseconds(value, 1 + i) {
                    Ok((ns, re)) => {
                        nsec = ns;
                        range_err = re;
                    }
                    Err(()) => ok = false,
                }
                value = &value[1 + i..];
            }
            _ => {}
        }
        if !range_err.is_empty() {
            return Err(parse_error(alayout, avalue, stdstr, value, &format!(": {range_err} out of range")));
        }
        if !ok {
            return Err(parse_error(alayout, avalue, stdstr, hold, ""));
        }
    }
    if pm_set && hour < 12 {
        hour += 12;
    } else if am_set && hour == 12 {
        hour = 0;
    }

    if yday >= 0 {
        let mut d = 0;
        let mut m = 0;
        if is_leap(year) {
            if yday == 31 + 29 {
                m = 2;
                d = 29;
            } else if yday > 31 + 29 {
                yday -= 1;
            }
        }
        if !(1..=365).contains(&yday) {
            return Err(parse_error(alayout, avalue, "", value, ": day-of-year out of range"));
        }
        if m == 0 {
            m = (yday - 1) / 31 + 1;
            if days_before(m + 1) < yday {
                m += 1;
            }
            d = yday - days_before(m);
        }
        if month >= 0 && month != m {
            return Err(parse_error(alayout, avalue, "", value, ": day-of-year does not match month"));
        }
        month = m;
        if day >= 0 && day != d {
            return Err(parse_error(alayout, avalue, "", value, ": day-of-year does not match day"));
        }
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }

    if day < 1 || day > days_in(month, year) {
        return Err(parse_error(alayout, avalue, "", value, ": day out of range"));
    }

    if let Some(z) = z {
        return Ok(Time::date(year, month, day, hour, min, sec, nsec, z));
    }

    if zone_offset != -1 {
        let mut t = Time::date(year, month, day, hour, min, sec, nsec, Location::utc());
        t.sec -= zone_offset;
        let (name, offset) = local.lookup(t.sec);
        if i64::from(offset) == zone_offset && (zone_name.is_empty() || name == zone_name) {
            t.loc = local;
            return Ok(t);
        }
        t.loc = Location::fixed(&zone_name, zone_offset as i32);
        return Ok(t);
    }

    if !zone_name.is_empty() {
        let mut t = Time::date(year, month, day, hour, min, sec, nsec, Location::utc());
        if let Some(offset) = local.lookup_name(&zone_name, t.sec) {
            t.sec -= i64::from(offset);
            t.loc = local;
            return Ok(t);
        }
        let mut offset = 0;
        if zone_name.len() > 3 && zone_name.starts_with("GMT") {
            offset = atoi(&zone_name[3..]).unwrap_or(0) * 3600;
        }
        t.loc = Location::fixed(&zone_name, offset as i32);
        return Ok(t);
    }

    Ok(Time::date(year, month, day, hour, min, sec, nsec, default_loc))
}

/// Days before the first of `month` in a non-leap year (`daysBefore`).
fn days_before(month: i64) -> i64 {
    const BEFORE: [i64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
    BEFORE[(month - 1).clamp(0, 12) as usize]
}

/// `time.Duration.String()`: `1h2m3.5s`, `1.5µs`, `0s`.
pub fn duration_string(d: i64) -> String {
    let mut buf = [0u8; 32];
    let mut w = buf.len();
    let neg = d < 0;
    let mut u = d.unsigned_abs();
    if u < SECOND as u64 {
        let prec;
        w -= 1;
        buf[w] = b's';
        w -= 1;
        if u == 0 {
            buf[w] = b'0';
            return String::from_utf8_lossy(&buf[w..]).into_owned();
        } else if u < MICROSECOND as u64 {
            prec = 0;
            buf[w] = b'n';
        } else if u < MILLISECOND as u64 {
            prec = 3;
            // "µ" is two bytes.
            w -= 1;
            buf[w] = 0xC2;
            buf[w + 1] = 0xB5;
        } else {
            prec = 6;
            buf[w] = b'm';
        }
        let (nw, nv) = fmt_frac(&mut buf[..w], u, prec);
        w = fmt_int(&mut buf[..nw], nv);
    } else {
        w -= 1;
        buf[w] = b's';
        let (nw, nv) = fmt_frac(&mut buf[..w], u, 9);
        u = nv;
        w = fmt_int(&mut buf[..nw], u % 60);
        u /= 60;
        if u > 0 {
            w -= 1;
            buf[w] = b'm';
            w = fmt_int(&mut buf[..w], u % 60);
            u /= 60;
            if u > 0 {
                w -= 1;
                buf[w] = b'h';
                w = fmt_int(&mut buf[..w], u);
            }
        }
    }
    if neg {
        w -= 1;
        buf[w] = b'-';
    }
    String::from_utf8_lossy(&buf[w..]).into_owned()
}

fn fmt_frac(buf: &mut [u8], mut v: u64, prec: usize) -> (usize, u64) {
    let mut w = buf.len();
    let mut print = false;
    for _ in 0..prec {
        let digit = v % 10;
        print = print || digit != 0;
        if print {
            w -= 1;
            buf[w] = digit as u8 + b'0';
        }
        v /= 10;
    }
    if print {
        w -= 1;
        buf[w] = b'.';
    }
    (w, v)
}

fn fmt_int(buf: &mut [u8], mut v: u64) -> usize {
    let mut w = buf.len();
    if v == 0 {
        w -= 1;
        buf[w] = b'0';
    } else {
        while v > 0 {
            w -= 1;
            buf[w] = (v % 10) as u8 + b'0';
            v /= 10;
        }
    }
    w
}

/// `Duration.Round(m)`.
pub fn duration_round(d: i64, m: i64) -> i64 {
    if m <= 0 {
        return d;
    }
    let mut r = d % m;
    if d < 0 {
        r = -r;
        if less_than_half(r, m) {
            return d + r;
        }
        let d1 = d.wrapping_sub(m).wrapping_add(r);
        if d1 < d {
            return d1;
        }
        return i64::MIN;
    }
    if less_than_half(r, m) {
        return d - r;
    }
    let d1 = d.wrapping_add(m).wrapping_sub(r);
    if d1 > d {
        return d1;
    }
    i64::MAX
}

/// `time.ParseDuration(s)`, with Go's error messages.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let orig = s;
    let invalid = || format!("time: invalid duration {}", quote(orig));
    let mut s = s;
    let mut d: u64 = 0;
    let mut neg = false;
    if let Some(c) = s.as_bytes().first()
        && (*c == b'-' || *c == b'+')
    {
        neg = *c == b'-';
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let pl = s.len();
        let (mut v, rest) = leading_int(s).ok_or_else(invalid)?;
        s = rest;
        let pre = pl != s.len();
        let mut post = false;
        let mut f: u64 = 0;
        let mut scale: f64 = 1.0;
        if s.starts_with('.') {
            s = &s[1..];
            let pl = s.len();
            // leadingFraction
            let b = s.as_bytes();
            let mut i = 0;
            let mut overflow = false;
            while i < b.len() && b[i].is_ascii_digit() {
                if !overflow {
                    if f > ((1u64 << 63) - 1) / 10 {
                        overflow = true;
                    } else {
                        let y = f * 10 + u64::from(b[i] - b'0');
                        if y > 1 << 63 {
                            overflow = true;
                        } else {
                            f = y;
                            scale *= 10.0;
                        }
                    }
                }
                i += 1;
            }
            s = &s[i..];
            post = pl != s.len();
        }
        if !pre && !post {
            return Err(invalid());
        }
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() && !(b[i] == b'.' || b[i].is_ascii_digit()) {
            i += 1;
        }
        if i == 0 {
            return Err(format!("time: missing unit in duration {}", quote(orig)));
        }
        let u = &s[..i];
        s = &s[i..];
        let unit: u64 = match u {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(format!("time: unknown unit {} in duration {}", quote(u), quote(orig))),
        };
        if v > (1u64 << 63) / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > 1 << 63 {
                return Err(invalid());
            }
        }
        d += v;
        if d > 1 << 63 {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((d as i64).wrapping_neg());
    }
    if d > (1u64 << 63) - 1 {
        return Err(invalid());
    }
    Ok(d as i64)
}
