//! Our side of `bench/helm.sh`: renders CHART with VALUES (a YAML file) COUNT times, loading the
//! chart each time as `helm template` does, and prints the milliseconds of each render and the
//! bytes rendered.

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, chart_dir, values_file, count] = args.as_slice() else {
        return Err("usage: helm_bench CHART VALUES COUNT".into());
    };
    let user = kots_helm::yaml::from_yaml(&std::fs::read_to_string(values_file)?)?;
    let options = kots_helm::engine::Options {
        release_name: "rel".into(),
        namespace: "ns".into(),
        kube_version: "v1.30.0".into(),
        ..Default::default()
    };
    for _ in 0..count.parse::<usize>()? {
        let start = Instant::now();
        let mut chart = kots_helm::chart::load_dir(std::path::Path::new(chart_dir))?;
        let values = kots_helm::values::render_values(&mut chart, &user)?;
        kots_helm::values::validate_schema(&chart, &values)?;
        let out = kots_helm::engine::render(&chart, &values, &options)?;
        let elapsed = start.elapsed().as_secs_f64() * 1000.0;
        println!("{elapsed:.2} {}", out.values().map(String::len).sum::<usize>());
    }
    Ok(())
}
