//! The official OCI conformance suites (v1.1.1, main, main with `OCI_VERSION=1.1+dev`) against
//! the vendor's registry, logged in as a vendor user with email and user API token, pushing to
//! `APP/suite` (and the suites' `APP/suite-xmount`, `APP/suite-2`). Any failed case fails the
//! test; the counts are printed (CI shows them). Skipped, with a message, where the suites are
//! not installed (`OCI_CONFORMANCE_DIR`).

use kots_testkit::{conformance_suites, conformance_suites_dir};

use crate::{EMAIL, Server};

#[test]
fn oci_conformance_vendor_registry() {
    let setup = "vendor registry (email + user token, APP/suite)";
    if conformance_suites_dir().is_none() {
        conformance_suites(setup, "", "", None);
        return;
    }
    let server = Server::start();
    server.cli(&["app", "create", "suiteapp"]);
    conformance_suites(setup, &server.url, "suiteapp/suite", Some((EMAIL, &server.token)));
}
