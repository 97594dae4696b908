//! `kots-registry serve --config FILE`: the settings from a TOML file, overridden by flags and
//! environment variables.

use std::process::Command;

use reqwest::StatusCode;

use crate::util::{Registry, client};

#[tokio::test]
async fn a_config_file_configures_the_server_and_flags_override_it() {
    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path().join("data");
    let htpasswd = temp.path().join("htpasswd");
    std::fs::write(&htpasswd, format!("alice:{}\n", bcrypt::hash("alice secret", 4).unwrap())).unwrap();
    let config = temp.path().join("registry.toml");
    std::fs::write(
        &config,
        format!(
            "# the whole server from the file\ndata-dir = {:?}\nlisten = \"127.0.0.1:0\"\nauth = \"htpasswd\"\nhtpasswd = {:?}\nupload_ttl = \"1h\"\n",
            data_dir.to_str().unwrap(),
            htpasswd.to_str().unwrap()
        ),
    )
    .unwrap();
    let serve = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kots-registry"));
        command.arg("serve").args(args).envs(env.iter().copied()).stderr(std::process::Stdio::null());
        Registry::spawn(command, &data_dir)
    };

    // Only the file: authentication is on, the data folder is the file's.
    let from_file = serve(&["--config", config.to_str().unwrap()], &[]);
    let status = client().get(from_file.url("/v2/")).send().await.unwrap().status();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "auth = htpasswd from the file");
    assert!(data_dir.join("registry.db").exists(), "data-dir from the file");
    drop(from_file);

    // A flag wins over the file, and so does the environment.
    let flag_dir = temp.path().join("from-flag");
    let overridden = serve(&["--config", config.to_str().unwrap(), "--data-dir", flag_dir.to_str().unwrap()], &[]);
    let status = client().get(overridden.url("/v2/")).send().await.unwrap().status();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the rest still from the file");
    assert!(flag_dir.join("registry.db").exists(), "--data-dir on the command line wins over the file");
    drop(overridden);
    let env_dir = temp.path().join("from-env");
    let _from_env = serve(
        &[],
        &[("KOTS_REGISTRY_CONFIG", config.to_str().unwrap()), ("KOTS_REGISTRY_DATA_DIR", env_dir.to_str().unwrap())],
    );
    assert!(env_dir.join("registry.db").exists(), "KOTS_REGISTRY_DATA_DIR wins over the file it names");
}

#[test]
fn a_mistake_in_the_config_file_stops_the_start_and_names_the_key() {
    let temp = tempfile::tempdir().unwrap();
    let config = temp.path().join("registry.toml");
    std::fs::write(&config, "data-dir = \"/tmp/x\"\n[s3]\nendpiont = \"http://127.0.0.1:9\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kots-registry"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("registry.toml") && stderr.contains("`s3-endpiont`"), "{stderr}");
    assert!(stderr.contains("s3-endpoint"), "lists the right names: {stderr}");
}

#[test]
fn the_example_config_is_valid() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/registry.toml");
    // Every key and value of the file is checked before clap answers --help.
    let output = Command::new(env!("CARGO_BIN_EXE_kots-registry"))
        .args(["serve", "--config", example, "--help"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("--config <CONFIG>"));
}
