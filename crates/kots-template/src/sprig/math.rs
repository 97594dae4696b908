//! sprig's arithmetic (`numeric.go` and the lambdas in `functions.go`): integer operations on
//! int64 (operands converted with cast's `ToInt64`, wrapping on overflow as Go does), float
//! operations through shopspring/decimal (`addf`, `subf`, `mulf`, `divf`: each operand becomes
//! the decimal of its shortest representation, the arithmetic is exact but for `divf`'s 16
//! decimal places, and the result is the float nearest to the decimal), and the sequence
//! builders `until`, `untilStep`, `seq`.

use num_bigint::{BigInt, Sign};

use super::conv::{to_float64, to_int64};
use crate::fmt::format_float_v;
use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::value::{FloatKind, GoType, Value};

const A: GoType = GoType::Any;

/// The most items `until`, `untilStep` and `seq` produce: Go would try to build any size, a
/// template asking for more is runaway.
const MAX_SEQUENCE: usize = 10_000_000;

pub(super) fn register(map: &mut FuncMap) {
    map.add("add1", vec![A], |_, a| Ok(Value::int64(to_int64(a.arg(0)?).wrapping_add(1))));
    map.add_variadic("add", vec![], A, |_, a| {
        Ok(Value::int64(a.iter().fold(0i64, |acc, v| acc.wrapping_add(to_int64(v)))))
    });
    map.add("sub", vec![A, A], |_, a| Ok(Value::int64(to_int64(a.arg(0)?).wrapping_sub(to_int64(a.arg(1)?)))));
    map.add("div", vec![A, A], |_, a| {
        let d = to_int64(a.arg(1)?);
        if d == 0 {
            return Err(divide_by_zero());
        }
        Ok(Value::int64(to_int64(a.arg(0)?).wrapping_div(d)))
    });
    map.add("mod", vec![A, A], |_, a| {
        let d = to_int64(a.arg(1)?);
        if d == 0 {
            return Err(divide_by_zero());
        }
        Ok(Value::int64(to_int64(a.arg(0)?).wrapping_rem(d)))
    });
    map.add_variadic("mul", vec![A], A, |_, a| {
        Ok(Value::int64(a[1..].iter().fold(to_int64(a.arg(0)?), |acc, v| acc.wrapping_mul(to_int64(v)))))
    });
    for name in ["biggest", "max"] {
        map.add_variadic(name, vec![A], A, |_, a| {
            Ok(Value::int64(a[1..].iter().map(to_int64).fold(to_int64(a.arg(0)?), i64::max)))
        });
    }
    map.add_variadic("min", vec![A], A, |_, a| {
        Ok(Value::int64(a[1..].iter().map(to_int64).fold(to_int64(a.arg(0)?), i64::min)))
    });
    map.add_variadic("maxf", vec![A], A, |_, a| {
        Ok(Value::float(a[1..].iter().map(to_float64).fold(to_float64(a.arg(0)?), go_max)))
    });
    map.add_variadic("minf", vec![A], A, |_, a| {
        Ok(Value::float(a[1..].iter().map(to_float64).fold(to_float64(a.arg(0)?), go_min)))
    });
    map.add("add1f", vec![A], |_, a| Ok(Value::float(decimal_op(a.arg(0)?, &[Value::int(1)], Dec::add)?)));
    map.add_variadic("addf", vec![], A, |_, a| Ok(Value::float(decimal_op(&Value::float(0.0), a, Dec::add)?)));
    map.add_variadic("subf", vec![A], A, |_, a| Ok(Value::float(decimal_op(a.arg(0)?, &a[1..], Dec::sub)?)));
    map.add_variadic("mulf", vec![A], A, |_, a| Ok(Value::float(decimal_op(a.arg(0)?, &a[1..], Dec::mul)?)));
    map.add_variadic("divf", vec![A], A, |_, a| Ok(Value::float(decimal_op(a.arg(0)?, &a[1..], Dec::div)?)));
    map.add("floor", vec![A], |_, a| Ok(Value::float(to_float64(a.arg(0)?).floor())));
    map.add("ceil", vec![A], |_, a| Ok(Value::float(to_float64(a.arg(0)?).ceil())));
    map.add_variadic("round", vec![A, GoType::INT], GoType::FLOAT64, |_, a| {
        let round_on = if a.len() > 2 { a.float_arg(2)? } else { 0.5 };
        Ok(Value::float(round(to_float64(a.arg(0)?), a.int_arg(1)?, round_on)))
    });
    map.add("until", vec![GoType::INT], |_, a| {
        let count = a.int_arg(0)?;
        ints(until_step(0, count, if count < 0 { -1 } else { 1 })?)
    });
    map.add("untilStep", vec![GoType::INT, GoType::INT, GoType::INT], |_, a| {
        ints(until_step(a.int_arg(0)?, a.int_arg(1)?, a.int_arg(2)?)?)
    });
    map.add_variadic("seq", vec![], GoType::INT, |_, a| {
        let params = (0..a.len()).map(|i| a.int_arg(i)).collect::<Result<Vec<_>, _>>()?;
        let items = seq(&params)?;
        Ok(Value::string(items.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")))
    });
}

fn divide_by_zero() -> FuncError {
    FuncError::new("runtime error: integer divide by zero")
}

/// A `[]int`.
fn ints(items: Vec<i64>) -> Result<Value, FuncError> {
    Ok(Value::typed_list(items.into_iter().map(Value::int).collect(), GoType::INT))
}

/// Go's `math.Max`: +Inf wins, then NaN, and +0 beats -0.
fn go_max(x: f64, y: f64) -> f64 {
    if x == f64::INFINITY || y == f64::INFINITY {
        return f64::INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && x == y {
        return if x.is_sign_negative() { y } else { x };
    }
    if x > y { x } else { y }
}

/// Go's `math.Min`: -Inf wins, then NaN, and -0 beats +0.
fn go_min(x: f64, y: f64) -> f64 {
    if x == f64::NEG_INFINITY || y == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && x == y {
        return if x.is_sign_negative() { x } else { y };
    }
    if x < y { x } else { y }
}

/// sprig's `round`: `10^places` by Go's `math.Pow`, then up when the fraction reaches
/// `round_on`.
fn round(val: f64, places: i64, round_on: f64) -> f64 {
    let pow = go_pow10(places as f64);
    let digit = pow * val;
    let frac = if digit.is_infinite() { f64::NAN } else { digit - digit.trunc() };
    let r = if frac >= round_on { digit.ceil() } else { digit.floor() };
    r / pow
}

/// Go's `math.Pow(10, y)` (its algorithm: the result's bits can differ from a libm `pow`).
fn go_pow10(y: f64) -> f64 {
    if y == 0.0 {
        return 1.0;
    }
    if y == 1.0 {
        return 10.0;
    }
    if y.is_nan() {
        return f64::NAN;
    }
    if y.is_infinite() {
        return if y > 0.0 { f64::INFINITY } else { 0.0 };
    }
    if y == 0.5 {
        return 10f64.sqrt();
    }
    if y == -0.5 {
        return 1.0 / 10f64.sqrt();
    }
    let yabs = y.abs();
    let (mut yi, mut yf) = (yabs.trunc(), yabs.fract());
    if yi >= 9_223_372_036_854_775_808.0 {
        return if y > 0.0 { f64::INFINITY } else { 0.0 };
    }
    let mut a1 = 1.0f64;
    let mut ae: i64 = 0;
    if yf != 0.0 {
        if yf > 0.5 {
            yf -= 1.0;
            yi += 1.0;
        }
        a1 = (yf * 10f64.ln()).exp();
    }
    let (mut x1, mut xe) = (0.625f64, 4i64); // Frexp(10)
    let mut i = yi as i64;
    while i != 0 {
        if !(-(1 << 12)..=(1 << 12)).contains(&xe) {
            ae += xe;
            break;
        }
        if i & 1 == 1 {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe <<= 1;
        if x1 < 0.5 {
            x1 += x1;
            xe -= 1;
        }
        i >>= 1;
    }
    if y < 0.0 {
        a1 = 1.0 / a1;
        ae = -ae;
    }
    go_ldexp(a1, ae)
}

/// Go's `math.Ldexp`: `frac × 2^exp`, rounding once into the subnormals.
fn go_ldexp(frac: f64, exp: i64) -> f64 {
    if frac == 0.0 || frac.is_infinite() || frac.is_nan() {
        return frac;
    }
    let (frac, e) = if frac.abs() < f64::MIN_POSITIVE { (frac * (1u64 << 52) as f64, -52) } else { (frac, 0) };
    let mut exp = exp + e;
    let mut x = frac.to_bits();
    exp += ((x >> 52) & 0x7ff) as i64 - 1023;
    if exp < -1075 {
        return 0f64.copysign(frac);
    }
    if exp > 1023 {
        return if frac < 0.0 { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    let mut m = 1.0;
    if exp < -1022 {
        exp += 53;
        m = 1.0 / (1u64 << 53) as f64;
    }
    x &= !(0x7ffu64 << 52);
    x |= ((exp + 1023) as u64) << 52;
    m * f64::from_bits(x)
}

/// sprig's `untilStep`.
fn until_step(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, FuncError> {
    let mut v = Vec::new();
    let too_many = || FuncError::new(format!("sequence longer than {MAX_SEQUENCE} items"));
    if stop < start {
        if step >= 0 {
            return Ok(v);
        }
        let mut i = start;
        while i > stop {
            if v.len() >= MAX_SEQUENCE {
                return Err(too_many());
            }
            v.push(i);
            i = i.wrapping_add(step);
        }
        return Ok(v);
    }
    if step <= 0 {
        return Ok(v);
    }
    let mut i = start;
    while i < stop {
        if v.len() >= MAX_SEQUENCE {
            return Err(too_many());
        }
        v.push(i);
        i = i.wrapping_add(step);
    }
    Ok(v)
}

/// sprig's `seq`: `seq END`, `seq START END`, `seq START STEP END`, like the shell's.
fn seq(params: &[i64]) -> Result<Vec<i64>, FuncError> {
    match *params {
        [end] => {
            let inc = if end < 1 { -1 } else { 1 };
            until_step(1, end.wrapping_add(inc), inc)
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step(start, end.wrapping_add(step), step)
        }
        [start, step, end] => {
            let mut inc = 1;
            if end < start {
                inc = -1;
                if step > 0 {
                    return Ok(Vec::new());
                }
            }
            until_step(start, end.wrapping_add(inc), step)
        }
        _ => Ok(Vec::new()),
    }
}

/// sprig's `execDecimalOp`: `a` and each of `rest` through `ToFloat64` and
/// `decimal.NewFromFloat`, folded with `op`, back to the nearest float.
fn decimal_op(a: &Value, rest: &[Value], op: fn(Dec, Dec) -> Result<Dec, FuncError>) -> Result<f64, FuncError> {
    let mut acc = Dec::from_float(to_float64(a))?;
    for x in rest {
        acc = op(acc, Dec::from_float(to_float64(x))?)?;
    }
    Ok(acc.to_f64())
}

/// shopspring/decimal's `Decimal`: `value × 10^exp`.
#[derive(Debug, Clone)]
struct Dec {
    value: BigInt,
    exp: i64,
}

/// `decimal.DivisionPrecision`.
const DIVISION_PRECISION: i64 = 16;

fn pow10(n: i64) -> BigInt {
    BigInt::from(10u8).pow(n.max(0) as u32)
}

impl Dec {
    /// `decimal.NewFromFloat`: the shortest decimal that reads back as `f`.
    fn from_float(f: f64) -> Result<Dec, FuncError> {
        if f.is_nan() || f.is_infinite() {
            return Err(FuncError::new(format!(
                "Cannot create a Decimal from {}",
                format_float_v(f, FloatKind::Float64)
            )));
        }
        let sci = format!("{f:e}");
        let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        let exp: i64 = exp.parse().unwrap_or(0);
        let neg = mantissa.starts_with('-');
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let frac_len = mantissa.split_once('.').map_or(0, |(_, f)| f.len()) as i64;
        let mut value: BigInt = digits.parse().unwrap_or_default();
        if neg {
            value = -value;
        }
        Ok(Dec { value, exp: exp - frac_len })
    }

    fn rescale_pair(a: &Dec, b: &Dec) -> (BigInt, BigInt, i64) {
        let exp = a.exp.min(b.exp);
        (&a.value * pow10(a.exp - exp), &b.value * pow10(b.exp - exp), exp)
    }

    fn add(a: Dec, b: Dec) -> Result<Dec, FuncError> {
        let (x, y, exp) = Dec::rescale_pair(&a, &b);
        Ok(Dec { value: x + y, exp })
    }

    fn sub(a: Dec, b: Dec) -> Result<Dec, FuncError> {
        let (x, y, exp) = Dec::rescale_pair(&a, &b);
        Ok(Dec { value: x - y, exp })
    }

    fn mul(a: Dec, b: Dec) -> Result<Dec, FuncError> {
        Ok(Dec { value: a.value * b.value, exp: a.exp + b.exp })
    }

    fn cmp_abs(a: &Dec, b: &Dec) -> std::cmp::Ordering {
        let (x, y, _) = Dec::rescale_pair(a, b);
        x.magnitude().cmp(y.magnitude())
    }

    /// `Div`: `DivRound(d2, 16)` (`QuoRem`, then half away from zero on the remainder).
    fn div(d: Dec, d2: Dec) -> Result<Dec, FuncError> {
        if d2.value.sign() == Sign::NoSign {
            return Err(FuncError::new("decimal division by 0"));
        }
        let precision = DIVISION_PRECISION;
        let scale = -precision;
        let e = d.exp - d2.exp - scale;
        let (aa, bb, scalerest) = if e < 0 {
            (d.value.clone(), &d2.value * pow10(-e), d.exp)
        } else {
            (&d.value * pow10(e), d2.value.clone(), scale + d2.exp)
        };
        let q = &aa / &bb;
        let r = &aa % &bb;
        let q = Dec { value: q, exp: scale };
        let r2 = Dec { value: BigInt::from(r.magnitude().clone()) * 2, exp: scalerest + precision };
        if Dec::cmp_abs(&r2, &d2) == std::cmp::Ordering::Less {
            return Ok(q);
        }
        let ulp = Dec { value: BigInt::from(1), exp: -precision };
        let opposite =
            (d.value.sign() == Sign::Minus) != (d2.value.sign() == Sign::Minus) && d.value.sign() != Sign::NoSign;
        if opposite { Dec::sub(q, ulp) } else { Dec::add(q, ulp) }
    }

    /// `Float64()`: the float nearest to the exact value (Rust's parse rounds correctly).
    fn to_f64(&self) -> f64 {
        format!("{}e{}", self.value, self.exp).parse().unwrap_or(f64::NAN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmt::format_value;
    use crate::sprig::conv::test_support::*;
    use crate::sprig::funcs;

    fn run(name: &str, args: &[Value]) -> Result<String, String> {
        funcs().call(name, args).map(|v| format_value(&v)).map_err(|e| e.0)
    }

    #[test]
    fn decimal_matches_shopspring() {
        // Go: decimal.NewFromFloat(0.1).Add(decimal.NewFromFloat(0.2)).Float64() == 0.3.
        let sum = Dec::add(Dec::from_float(0.1).unwrap(), Dec::from_float(0.2).unwrap()).unwrap();
        assert_eq!(sum.to_f64(), 0.3);
        let q = Dec::div(Dec::from_float(1.0).unwrap(), Dec::from_float(3.0).unwrap()).unwrap();
        assert_eq!(q.value.to_string(), "3333333333333333");
        assert_eq!(q.exp, -16);
        let q = Dec::div(Dec::from_float(2.0).unwrap(), Dec::from_float(3.0).unwrap()).unwrap();
        assert_eq!(q.value.to_string(), "6666666666666667");
        let q = Dec::div(Dec::from_float(-2.0).unwrap(), Dec::from_float(3.0).unwrap()).unwrap();
        assert_eq!(q.value.to_string(), "-6666666666666667");
    }

    #[test]
    fn go_pow_matches_go() {
        for n in -30..30 {
            let p = go_pow10(f64::from(n));
            assert!(p > 0.0);
        }
        assert_eq!(go_pow10(2.0), 100.0);
        assert_eq!(go_pow10(-2.0), 0.01);
        assert_eq!(go_ldexp(0.5, -1074), 0.0);
        assert_eq!(go_ldexp(0.5, -1073), f64::from_bits(1));
    }

    #[test]
    fn result_types() {
        let f = funcs();
        assert_eq!(f.call("add", &[Value::int(1)]).unwrap().type_name(), "int64");
        assert_eq!(f.call("addf", &[Value::int(1)]).unwrap().type_name(), "float64");
        assert_eq!(f.call("until", &[Value::int(2)]).unwrap().type_name(), "[]int");
        assert_eq!(f.call("seq", &[Value::int(2)]).unwrap().type_name(), "string");
        assert!(run("until", &[Value::int(1 << 40)]).is_err());
    }

    // BEGIN GO TABLE (generated: each row's result and %T printed by Go 1.27 + sprig 3.2.3)
    fn go_table() -> Vec<Case> {
        vec![
            ("add", vec![i(1), i(2), s("3"), f(1.9)], Ok("7"), "int64"),
            ("add", vec![], Ok("0"), "int64"),
            ("add", vec![Value::int64(9223372036854775807), i(1)], Ok("-9223372036854775808"), "int64"),
            ("add1", vec![s("x")], Ok("1"), "int64"),
            ("add1", vec![f(1.5)], Ok("2"), "int64"),
            ("sub", vec![i(5), i(7)], Ok("-2"), "int64"),
            ("div", vec![i(7), i(2)], Ok("3"), "int64"),
            ("div", vec![i(-7), i(2)], Ok("-3"), "int64"),
            ("div", vec![i(1), i(0)], Err("runtime error: integer divide by zero"), ""),
            ("mod", vec![i(7), i(3)], Ok("1"), "int64"),
            ("mod", vec![i(-7), i(3)], Ok("-1"), "int64"),
            ("mod", vec![i(1), i(0)], Err("runtime error: integer divide by zero"), ""),
            ("mul", vec![i(2), i(3), i(4)], Ok("24"), "int64"),
            ("mul", vec![i(5)], Ok("5"), "int64"),
            ("mul", vec![Value::int64(4611686018427387904), i(4)], Ok("0"), "int64"),
            ("max", vec![i(1), i(5), i(3)], Ok("5"), "int64"),
            ("biggest", vec![i(1), s("7")], Ok("7"), "int64"),
            ("min", vec![i(4), i(2), i(9)], Ok("2"), "int64"),
            ("min", vec![i(4)], Ok("4"), "int64"),
            ("maxf", vec![i(1), f(2.5), s("3.5")], Ok("3.5"), "float64"),
            ("minf", vec![i(1), f(-2.5)], Ok("-2.5"), "float64"),
            ("maxf", vec![f(f64::NAN), i(1)], Ok("NaN"), "float64"),
            ("minf", vec![f(0.0), f(-0.0)], Ok("-0"), "float64"),
            ("maxf", vec![f(-0.0), f(0.0)], Ok("0"), "float64"),
            ("add1f", vec![f(1.1)], Ok("2.1"), "float64"),
            ("addf", vec![f(0.1), f(0.2)], Ok("0.3"), "float64"),
            ("addf", vec![], Ok("0"), "float64"),
            ("subf", vec![f(1.0), f(0.9)], Ok("0.1"), "float64"),
            ("subf", vec![i(5)], Ok("5"), "float64"),
            ("mulf", vec![f(1.1), i(3)], Ok("3.3"), "float64"),
            ("mulf", vec![f(0.1), f(0.1), f(0.1)], Ok("0.001"), "float64"),
            ("divf", vec![i(1), i(3)], Ok("0.3333333333333333"), "float64"),
            ("divf", vec![i(2), i(3)], Ok("0.6666666666666667"), "float64"),
            ("divf", vec![i(-2), i(3)], Ok("-0.6666666666666667"), "float64"),
            ("divf", vec![i(10), i(4)], Ok("2.5"), "float64"),
            ("divf", vec![i(1), i(0)], Err("decimal division by 0"), ""),
            ("divf", vec![f(1e-20), i(3)], Ok("0"), "float64"),
            ("divf", vec![f(1e+300), f(1e-10)], Ok("+Inf"), "float64"),
            ("addf", vec![f(f64::NAN)], Err("Cannot create a Decimal from NaN"), ""),
            ("addf", vec![f(1e+300), f(1e-300)], Ok("1e+300"), "float64"),
            ("mulf", vec![f(123456789.123), f(987654321.987)], Ok("1.219326313559686e+17"), "float64"),
            ("floor", vec![f(1.5)], Ok("1"), "float64"),
            ("floor", vec![s("-1.5")], Ok("-2"), "float64"),
            ("ceil", vec![f(1.2)], Ok("2"), "float64"),
            ("ceil", vec![Value::Nil], Ok("0"), "float64"),
            ("round", vec![f(1.2345), i(2)], Ok("1.23"), "float64"),
            ("round", vec![f(1.235), i(2)], Ok("1.24"), "float64"),
            ("round", vec![f(1.2345), i(2), f(0.3)], Ok("1.24"), "float64"),
            ("round", vec![f(-1.5), i(0)], Ok("-2"), "float64"),
            ("round", vec![f(123.456), i(-1)], Ok("120"), "float64"),
            ("round", vec![s("2.5"), i(0)], Ok("3"), "float64"),
            ("round", vec![f(1.005), i(2)], Ok("1"), "float64"),
            ("round", vec![f(0.285), i(2)], Ok("0.28"), "float64"),
            ("round", vec![f(1e+300), i(10)], Ok("+Inf"), "float64"),
            ("until", vec![i(5)], Ok("[0 1 2 3 4]"), "[]int"),
            ("until", vec![i(-3)], Ok("[0 -1 -2]"), "[]int"),
            ("until", vec![i(0)], Ok("[]"), "[]int"),
            ("untilStep", vec![i(0), i(10), i(3)], Ok("[0 3 6 9]"), "[]int"),
            ("untilStep", vec![i(10), i(0), i(-4)], Ok("[10 6 2]"), "[]int"),
            ("untilStep", vec![i(0), i(10), i(-1)], Ok("[]"), "[]int"),
            ("untilStep", vec![i(0), i(10), i(0)], Ok("[]"), "[]int"),
            ("seq", vec![i(5)], Ok("1 2 3 4 5"), "string"),
            ("seq", vec![i(-2)], Ok("1 0 -1 -2"), "string"),
            ("seq", vec![i(0)], Ok("1 0"), "string"),
            ("seq", vec![i(2), i(5)], Ok("2 3 4 5"), "string"),
            ("seq", vec![i(5), i(2)], Ok("5 4 3 2"), "string"),
            ("seq", vec![i(1), i(2), i(10)], Ok("1 3 5 7 9"), "string"),
            ("seq", vec![i(10), i(-3), i(1)], Ok("10 7 4 1"), "string"),
            ("seq", vec![i(10), i(3), i(1)], Ok(""), "string"),
            ("seq", vec![], Ok(""), "string"),
            ("seq", vec![i(1), i(2), i(3), i(4)], Ok(""), "string"),
            ("seq", vec![i(1), i(0), i(5)], Ok(""), "string"),
            ("add", vec![sv("1.0.0"), i(1)], Ok("1"), "int64"),
            ("max", vec![s("5"), s("x"), f(3.9)], Ok("5"), "int64"),
            ("div", vec![i(7), f(2.9)], Ok("3"), "int64"),
            ("mul", vec![f(1.5), f(1.5)], Ok("1"), "int64"),
            ("round", vec![f(2.675), i(2)], Ok("2.68"), "float64"),
            ("ceil", vec![s("1.2e3")], Ok("1200"), "float64"),
            ("addf", vec![s("0.1"), s("x"), i(1)], Ok("1.1"), "float64"),
        ]
    }

    #[test]
    fn matches_go() {
        check_table(&go_table());
    }
    // END GO TABLE

    // BEGIN GO RENDER (generated: each template's output or error from Go 1.27 + sprig 3.2.3)
    const RENDER_CASES: &[(&str, &str)] = &[
        ("{{ add 1 2 3 }} {{ sub 5 7 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 3 }}", "OK 6 -2 24 3 1"),
        ("{{ add1 41 | typeOf }}", "OK int64"),
        (
            "{{ div 1 0 }}",
            "ERR template: t:1:3: executing \"t\" at <div 1 0>: error calling div: runtime error: integer divide by zero",
        ),
        ("{{ max 1 5 3 }} {{ min 4 2 9 }} {{ biggest 1 \"7\" }}", "OK 5 2 7"),
        ("{{ addf 0.1 0.2 }} {{ subf 1 0.9 }} {{ mulf 1.1 3 }} {{ divf 1 3 }}", "OK 0.3 0.1 3.3 0.3333333333333333"),
        ("{{ maxf 1 2.5 }} {{ minf 1 -2.5 }}", "OK 2.5 -2.5"),
        ("{{ floor 1.5 }} {{ ceil 1.2 }} {{ round 1.2345 2 }}", "OK 1 2 1.23"),
        ("{{ range until 3 }}{{ . }}{{ end }}", "OK 012"),
        ("{{ untilStep 0 10 3 }}", "OK [0 3 6 9]"),
        ("{{ seq 5 }}|{{ seq 2 5 }}|{{ seq 1 2 10 }}", "OK 1 2 3 4 5|2 3 4 5|1 3 5 7 9"),
        ("{{ until 3 | typeOf }}", "OK []int"),
        ("{{ add \"1\" 2.5 nil }}", "OK 3"),
        ("{{ round 2.5 0 0.6 }}", "OK 2"),
        (
            "{{ divf 1 0 }}",
            "ERR template: t:1:3: executing \"t\" at <divf 1 0>: error calling divf: decimal division by 0",
        ),
        ("{{ add1f 1.5 | typeOf }}", "OK float64"),
        ("{{ 3 | add 4 | mul 2 }}", "OK 14"),
        (
            "{{ mod 1 0 }}",
            "ERR template: t:1:3: executing \"t\" at <mod 1 0>: error calling mod: runtime error: integer divide by zero",
        ),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(RENDER_CASES);
    }
    // END GO RENDER
}
