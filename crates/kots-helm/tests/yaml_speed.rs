//! How long reading and writing take on a big values file of the chart corpus and on deep
//! nesting (printed; the bounds are loose, to catch a slip into something much slower).

use std::time::Instant;

#[test]
fn big_and_deep_inputs_are_read_in_reasonable_time() {
    let n = 10_000;
    let deep = format!("a: {}1{}", "[".repeat(n - 1), "]".repeat(n - 1));
    let started = Instant::now();
    let result = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || kots_helm::yaml::from_yaml(&deep).map(|v| kots_helm::yaml::to_yaml(&v)))
        .unwrap()
        .join()
        .unwrap();
    let elapsed = started.elapsed();
    eprintln!("10,000 levels of flow sequences: {elapsed:?}");
    // Go reads it (a value inside 10,000 levels is still written as JSON) and writes it back.
    let written = result.expect("read").expect("written");
    assert!(written.starts_with("a:\n- - - ") && written.ends_with(" 1\n"), "{}", &written[..40]);
    assert!(elapsed.as_secs() < 60, "{elapsed:?}");

    let path = "/work/shared/compat/helm-charts/argo-cd/chart/values.yaml";
    if let Ok(text) = std::fs::read_to_string(path) {
        let started = Instant::now();
        let value = kots_helm::yaml::from_yaml(&text).unwrap();
        let read = started.elapsed();
        let started = Instant::now();
        let written = kots_helm::yaml::to_yaml(&value).unwrap();
        eprintln!(
            "argo-cd's values.yaml ({} bytes): read {read:?}, written ({} bytes) {:?}",
            text.len(),
            written.len(),
            started.elapsed()
        );
        assert!(read.as_secs() < 10 && written.len() > 1000);
    }
}
