//! The generated folder rendered by the real `kubectl kustomize`: every spelling of every image
//! is rewritten to the customer's registry, each keeping its own tag or digest.

use std::process::Command;

use kots_cli::app_folder::{MidstreamOwned, base_files, downstream_kustomization, midstream_kustomization};
use kots_cli::naming::{ImageNaming, RegistryTarget, destination_names, kustomize_images};
use kots_cli::pull_secret::{self, RegistryLogin};
use kots_release::images::find_images;

const DIGEST: &str = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

#[test]
fn kubectl_kustomize_renders_every_image_from_the_customer_registry() {
    let release = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      initContainers:\n        - name: init\n          image: busybox:1.36\n      containers:\n        - name: web\n          image: nginx:1.25\n        - name: side\n          image: docker.io/library/nginx@{DIGEST}\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: report\nspec:\n  schedule: \"0 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n            - name: report\n              image: library/nginx:1.24\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\nspec:\n  containers:\n    - name: debug\n      image: vendor.example:8443/myapp/tools:2.0\n---\napiVersion: kots.io/v1beta1\nkind: Application\nmetadata:\n  name: myapp\nspec:\n  additionalImages: [postgres:16]\n"
    );
    let files = vec![("app.yaml".to_owned(), release)];
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("myapp");
    let base = base_files(&files, true, None, &|_, _| Ok(true)).unwrap();
    assert_eq!(base.additional_images, ["postgres:16"]);
    let (found, bad) = find_images(&base.documents, &base.additional_images, "upstream/app.yaml");
    assert!(bad.is_empty());
    let target = RegistryTarget::parse("https://registry.corp.example:5000/", Some("myapp")).unwrap();
    let names = destination_names(&found, &target, ImageNaming::Flatten).unwrap();
    let entries = kustomize_images(&found, &names);
    let login = RegistryLogin { host: target.host.clone(), username: "u".into(), password: "p".into() };
    let secret = pull_secret::secret_file("myapp", Some("shop"), &pull_secret::docker_config(&[login]));
    let (strategic, patches) = pull_secret::patches("myapp", &base.documents);
    let strategic = strategic.expect("three workloads");
    assert!(patches.is_empty(), "built-in kinds only");
    let labels = kots_cli::app_folder::GeneratedFile {
        path: "backup-label-transformer.yaml".into(),
        content: kots_cli::app_folder::backup_label_transformer("myapp"),
    };
    let owned = MidstreamOwned {
        images: entries,
        resources: vec![secret.path.clone()],
        patches_strategic_merge: vec![strategic.path.clone()],
        transformers: vec![labels.path.clone()],
        ..MidstreamOwned::default()
    };
    let midstream = root.join("overlays/midstream");
    for file in [&strategic, &secret, &labels] {
        std::fs::create_dir_all(midstream.join(&file.path).parent().unwrap()).unwrap();
        std::fs::write(midstream.join(&file.path), &file.content).unwrap();
    }
    for file in &base.files {
        let path = root.join(&file.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &file.content).unwrap();
    }
    std::fs::write(midstream.join("kustomization.yaml"), midstream_kustomization(None, "myapp", &owned).unwrap())
        .unwrap();
    std::fs::create_dir_all(root.join("overlays/downstreams/this-cluster")).unwrap();
    std::fs::write(root.join("overlays/downstreams/this-cluster/kustomization.yaml"), downstream_kustomization())
        .unwrap();

    for overlay in ["overlays/midstream", "overlays/downstreams/this-cluster"] {
        let output =
            Command::new("kubectl").arg("kustomize").arg(root.join(overlay)).output().expect("kubectl is installed");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let rendered = String::from_utf8_lossy(&output.stdout);
        let mut images: Vec<&str> =
            rendered.lines().filter_map(|line| line.trim().trim_start_matches("- ").strip_prefix("image: ")).collect();
        images.sort();
        let digest_image = format!("registry.corp.example:5000/myapp/nginx@{DIGEST}");
        assert_eq!(
            images,
            [
                "registry.corp.example:5000/myapp/busybox:1.36",
                "registry.corp.example:5000/myapp/nginx:1.24",
                "registry.corp.example:5000/myapp/nginx:1.25",
                digest_image.as_str(),
                "registry.corp.example:5000/myapp/tools:2.0",
            ],
            "{overlay}:\n{rendered}"
        );
        assert!(rendered.contains("kots.io/app-slug: myapp"));
        assert!(!rendered.contains("kind: Application"), "KOTS kinds stay out of the cluster");
        assert_eq!(rendered.matches("- name: myapp-registry").count(), 3, "deployment, cronjob, pod:\n{rendered}");
        assert!(rendered.contains("type: kubernetes.io/dockerconfigjson"));
        assert_eq!(
            rendered.matches("namespace: shop").count(),
            2,
            "the two pull secrets, as KOTS writes them:\n{rendered}"
        );
        assert_eq!(rendered.matches("kots.io/backup: velero").count(), 8, "objects and pod templates:\n{rendered}");
    }
}
