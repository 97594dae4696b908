//! The Rust side of `bench/template.sh`: parses and executes a template set (a JSON file:
//! `{"templates": [{"name", "text"}], "data": …, "iterations": N}`) N times each, and prints
//! `PARSE_MS RENDER_MS OUTPUT_BYTES_PER_ITERATION`, as the Go side does.

use std::time::Instant;

use kots_template::{Options, Templates, Value};

fn main() {
    let path = std::env::args().nth(1).expect("usage: template_bench INPUT.json");
    let input: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read the input")).expect("JSON input");
    let iterations = input["iterations"].as_u64().unwrap_or(1);
    let data = Value::from_json(&input["data"]);
    let templates: Vec<(String, String)> = input["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .map(|t| (t["name"].as_str().unwrap_or("t").to_string(), t["text"].as_str().unwrap_or("").to_string()))
        .collect();
    let funcs = std::sync::Arc::new(kots_template::sprig::funcs());
    // One set holding every template, as Helm parses a chart.
    let mut set = Templates::new(funcs.clone(), Options::default());
    let start = Instant::now();
    for _ in 0..iterations {
        set = Templates::new(funcs.clone(), Options::default());
        for (name, text) in &templates {
            set.parse(name, text).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let parse = start.elapsed();
    let start = Instant::now();
    let mut bytes = 0;
    for _ in 0..iterations {
        for (name, _) in &templates {
            bytes += set.render(name, &data).unwrap_or_else(|e| panic!("{e}")).len();
        }
    }
    let render = start.elapsed();
    println!("{:.1} {:.1} {}", parse.as_secs_f64() * 1000.0, render.as_secs_f64() * 1000.0, bytes as u64 / iterations);
}
