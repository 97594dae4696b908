//! The customer side of kots, behind the `kubectl-kots` binary: the pure parts of `pull` (which
//! images an app uses, what they are called in the customer's registry, the kustomize entries
//! that rewrite them), kept apart from I/O so that they can be tested as plain functions.

pub mod app_archive;
pub mod app_folder;
pub mod copy_list;
pub mod download;
pub mod example_image;
pub mod folder;
pub mod helm;
pub mod license;
pub mod naming;
pub mod private_images;
pub mod progress;
pub mod pull;
pub mod pull_secret;
pub mod push_images;
pub mod template;
pub mod upstream;
