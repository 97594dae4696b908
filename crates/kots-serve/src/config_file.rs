//! `serve --config FILE`: a TOML file holding the same settings as the flags, for deployments
//! that keep configuration in a file (a Kubernetes ConfigMap, `/etc/kots/registry.toml`).
//!
//! The file's keys are the subcommand's long flags without `--` (`data-dir`, `database`;
//! `data_dir` too), and a table stands for a flag prefix, so `[s3] endpoint = …` is
//! `--s3-endpoint`. Each value becomes that flag's default, which keeps the usual precedence
//! for free: command line, then environment, then the file, then the built-in default. Values
//! go through the flags' own parsers here, so a bad one is reported with the file and key that
//! hold it, and an unknown key is an error rather than a setting silently ignored.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Arg, ArgAction, Command};

/// Returns `command` with the values of the config file as the defaults of the flags of the
/// subcommand being run, if it is one of `subcommands`. The file holds the settings of
/// `subcommands[0]` (`serve`): every key must be one of its flags; the others (`gc`) take the
/// keys they share with it and pass over the rest. The file is named by `--config FILE` in
/// `args` (the raw command line, as clap will see it) or else by the environment variable `env`;
/// without either, `command` is unchanged.
pub fn apply(command: Command, subcommands: &[&str], env: &str, args: &[OsString]) -> anyhow::Result<Command> {
    let Some(running) = subcommands.iter().copied().find(|name| args.iter().skip(1).any(|arg| arg == *name)) else {
        return Ok(command);
    };
    let Some(path) = config_path(args).or_else(|| std::env::var_os(env).map(PathBuf::from)) else {
        return Ok(command);
    };
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("cannot read the config file `{}`", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("the config file `{}` is not valid TOML", path.display()))?;
    let mut settings = Vec::new();
    flatten(&path, "", table, &mut settings)?;

    let owner_name = subcommands[0];
    let (Some(owner), Some(user)) = (command.find_subcommand(owner_name), command.find_subcommand(running)) else {
        bail!("no subcommand `{owner_name}` takes a config file");
    };
    let flag = |command: &Command, key: &str| -> Option<Arg> {
        command.get_arguments().find(|arg| arg.get_long() == Some(key) && key != "config").cloned()
    };
    let mut defaults = Vec::new();
    for (key, value) in settings {
        let Some(arg) = flag(owner, &key) else {
            let known: Vec<&str> = owner
                .get_arguments()
                .filter_map(Arg::get_long)
                .filter(|flag| *flag != "config" && *flag != "help")
                .collect();
            bail!(
                "the config file `{}` sets `{key}`, which `{owner_name}` does not know; the settings are its flags without `--`: {}",
                path.display(),
                known.join(", ")
            );
        };
        let values = match value {
            Value::One(value) => vec![value],
            Value::Many(values) if matches!(arg.get_action(), ArgAction::Append) => values,
            Value::Many(_) => bail!("the config file `{}`: `{key}` takes one value, not a list", path.display()),
        };
        for value in &values {
            check(&arg, value).map_err(|reason| {
                anyhow::anyhow!("the config file `{}`: `{key} = {value:?}` is refused: {reason}", path.display())
            })?;
        }
        if let Some(arg) = flag(user, &key) {
            defaults.push((arg.get_id().clone(), values));
        }
    }
    Ok(command.mut_subcommand(running, |mut user| {
        for (id, values) in defaults {
            user = user.mut_arg(id, |arg| arg.required(false).default_values(values));
        }
        user
    }))
}

/// Parses the process's command line as `C`, with the config file applied (see [`apply`]);
/// clap's own errors and `--help` exit as usual.
pub fn parse<C: clap::Parser>(subcommands: &[&str], env: &str) -> anyhow::Result<C> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let command = apply(C::command(), subcommands, env, &args)?;
    Ok(C::from_arg_matches(&command.get_matches_from(args)).unwrap_or_else(|error| error.exit()))
}

/// Runs `value` through the flag's own parser (on a command holding that flag alone, since
/// clap keeps its parsers' entry point to itself).
fn check(arg: &Arg, value: &str) -> Result<(), String> {
    if matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse) {
        return match value {
            "true" | "false" => Ok(()),
            _ => Err("a switch: true or false".to_owned()),
        };
    }
    let long = arg.get_long().unwrap_or_default();
    let alone = Command::new("config").no_binary_name(true).arg(arg.clone().required(false));
    match alone.try_get_matches_from([format!("--{long}={value}")]) {
        Ok(_) => Ok(()),
        Err(error) => {
            let error = error.to_string();
            Err(error.lines().next().unwrap_or_default().trim_start_matches("error: ").to_owned())
        }
    }
}

/// The value of `--config FILE` or `--config=FILE` on the command line.
fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = arg.to_str().and_then(|arg| arg.strip_prefix("--config=")) {
            return Some(PathBuf::from(path));
        }
    }
    None
}

enum Value {
    One(String),
    Many(Vec<String>),
}

/// The file's settings as (flag, value) pairs: tables add their name as a prefix.
fn flatten(path: &Path, prefix: &str, table: toml::Table, out: &mut Vec<(String, Value)>) -> anyhow::Result<()> {
    for (key, value) in table {
        let key = format!("{prefix}{}", key.replace('_', "-"));
        match value {
            toml::Value::Table(table) => flatten(path, &format!("{key}-"), table, out)?,
            toml::Value::Array(items) => {
                let items =
                    items.into_iter().map(|item| scalar(path, &key, item)).collect::<anyhow::Result<Vec<_>>>()?;
                out.push((key, Value::Many(items)));
            }
            value => {
                let value = scalar(path, &key, value)?;
                out.push((key, Value::One(value)));
            }
        }
    }
    Ok(())
}

fn scalar(path: &Path, key: &str, value: toml::Value) -> anyhow::Result<String> {
    Ok(match value {
        toml::Value::String(text) => text,
        toml::Value::Integer(number) => number.to_string(),
        toml::Value::Float(number) => number.to_string(),
        toml::Value::Boolean(flag) => flag.to_string(),
        toml::Value::Datetime(time) => time.to_string(),
        toml::Value::Array(_) | toml::Value::Table(_) => {
            bail!("the config file `{}`: `{key}` holds a nested list or table; give it a plain value", path.display())
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::{Arg, ArgAction, ArgMatches, value_parser};

    use super::*;

    fn command() -> Command {
        Command::new("kots-registry")
            .subcommand(
                Command::new("serve")
                    .arg(Arg::new("config").long("config"))
                    .arg(Arg::new("data_dir").long("data-dir").required(true))
                    .arg(Arg::new("listen").long("listen").default_value("127.0.0.1:5000"))
                    .arg(
                        Arg::new("upload_ttl")
                            .long("upload-ttl")
                            .value_parser(crate::parse_duration)
                            .default_value("24h"),
                    )
                    .arg(Arg::new("workers").long("workers").value_parser(value_parser!(u16)))
                    .arg(Arg::new("s3_endpoint").long("s3-endpoint").env("TEST_KOTS_S3_ENDPOINT"))
                    .arg(Arg::new("s3_path_style").long("s3-path-style").action(ArgAction::SetTrue))
                    .arg(Arg::new("mirror").long("registry-mirror").action(ArgAction::Append)),
            )
            .subcommand(
                Command::new("gc")
                    .arg(Arg::new("config").long("config"))
                    .arg(Arg::new("data_dir").long("data-dir").required(true))
                    .arg(Arg::new("dry_run").long("dry-run").action(ArgAction::SetTrue)),
            )
    }

    #[test]
    fn another_subcommand_takes_the_settings_it_shares() {
        let temp = tempfile::tempdir().unwrap();
        let file = temp.path().join("registry.toml");
        std::fs::write(&file, "data-dir = \"/var/lib/kots\"\nlisten = \"0.0.0.0:5000\"\n").unwrap();
        let args: Vec<OsString> =
            ["kots-registry", "gc", "--config", file.to_str().unwrap()].map(OsString::from).into();
        let matches = apply(command(), &["serve", "gc"], "TEST_KOTS_CONFIG_UNSET", &args)
            .unwrap()
            .try_get_matches_from(&args)
            .unwrap();
        let gc = matches.subcommand_matches("gc").unwrap();
        assert_eq!(gc.get_one::<String>("data_dir").unwrap(), "/var/lib/kots", "shared with serve");
        // A key serve does not know is still an error, whoever reads the file.
        std::fs::write(&file, "data-dir = \"d\"\ndry-run = true\n").unwrap();
        let error = apply(command(), &["serve", "gc"], "TEST_KOTS_CONFIG_UNSET", &args).unwrap_err();
        assert!(error.to_string().contains("`dry-run`, which `serve` does not know"), "{error}");
    }

    /// Parses `argv` after applying the config file `text`.
    fn parse(text: &str, argv: &[&str]) -> anyhow::Result<ArgMatches> {
        let temp = tempfile::tempdir().unwrap();
        let file = temp.path().join("registry.toml");
        std::fs::write(&file, text).unwrap();
        let mut args: Vec<OsString> = argv.iter().map(OsString::from).collect();
        args.extend([OsString::from("--config"), file.into_os_string()]);
        let command = apply(command(), &["serve", "gc"], "TEST_KOTS_CONFIG_UNSET", &args)?;
        let matches = command.try_get_matches_from(args)?;
        Ok(matches.subcommand_matches("serve").unwrap().clone())
    }

    #[test]
    fn the_file_fills_what_the_command_line_leaves_out() {
        let matches = parse(
            r#"
            data_dir = "/var/lib/kots"
            listen = "0.0.0.0:5000"
            upload-ttl = "7d"
            workers = 8
            registry-mirror = ["docker.io=http://127.0.0.1:1", "quay.io=http://127.0.0.1:2"]
            [s3]
            endpoint = "http://minio.internal:9000"
            path-style = true
            "#,
            &["kots-registry", "serve", "--listen", "127.0.0.1:0"],
        )
        .unwrap();
        assert_eq!(matches.get_one::<String>("data_dir").unwrap(), "/var/lib/kots");
        assert_eq!(matches.get_one::<String>("listen").unwrap(), "127.0.0.1:0", "the command line wins");
        assert_eq!(matches.get_one::<Duration>("upload_ttl"), Some(&Duration::from_secs(7 * 24 * 3600)));
        assert_eq!(matches.get_one::<u16>("workers"), Some(&8));
        assert_eq!(matches.get_one::<String>("s3_endpoint").unwrap(), "http://minio.internal:9000");
        assert!(matches.get_flag("s3_path_style"));
        let mirrors: Vec<&String> = matches.get_many("mirror").unwrap().collect();
        assert_eq!(mirrors, ["docker.io=http://127.0.0.1:1", "quay.io=http://127.0.0.1:2"]);
    }

    #[test]
    fn without_the_file_the_command_is_unchanged() {
        let args: Vec<OsString> = ["kots-registry", "serve", "--data-dir", "d"].iter().map(OsString::from).collect();
        let matches = apply(command(), &["serve", "gc"], "TEST_KOTS_CONFIG_UNSET", &args)
            .unwrap()
            .try_get_matches_from(&args)
            .unwrap();
        let serve = matches.subcommand_matches("serve").unwrap();
        assert_eq!(serve.get_one::<String>("listen").unwrap(), "127.0.0.1:5000");
        let error = command().try_get_matches_from(["kots-registry", "serve"]).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::MissingRequiredArgument);
    }

    #[test]
    fn mistakes_in_the_file_name_the_file_and_the_key() {
        let message = |text: &str| format!("{:#}", parse(text, &["kots-registry", "serve"]).unwrap_err());

        let unknown = message("data-dir = \"d\"\nstorgae = \"s3://b\"\n");
        assert!(unknown.contains("registry.toml") && unknown.contains("`storgae`"), "{unknown}");
        assert!(unknown.contains("data-dir, listen"), "lists the settings: {unknown}");

        let bad = message("data-dir = \"d\"\nupload-ttl = \"soon\"\n");
        assert!(bad.contains("`upload-ttl = \"soon\"`"), "{bad}");

        let number = message("data-dir = \"d\"\nworkers = 70000\n");
        assert!(number.contains("`workers = \"70000\"`"), "{number}");

        let list = message("data-dir = [\"a\", \"b\"]\n");
        assert!(list.contains("`data-dir` takes one value"), "{list}");

        let syntax = message("data-dir = \n");
        assert!(syntax.contains("not valid TOML") && syntax.contains("line 1"), "{syntax}");

        let itself = message("config = \"other.toml\"\n");
        assert!(itself.contains("`config`"), "{itself}");

        let missing = apply(
            command(),
            &["serve"],
            "TEST_KOTS_CONFIG_UNSET",
            &["kots-registry", "serve", "--config=/nonexistent/kots.toml"].map(OsString::from),
        )
        .unwrap_err();
        assert!(format!("{missing:#}").contains("cannot read the config file `/nonexistent/kots.toml`"), "{missing:#}");
    }
}
