//! What a release is and how it travels, shared by the vendor (who builds airgap bundles) and
//! the customer's `kubectl kots` (who reads releases and bundles): the app slug's grammar, the
//! release's YAML as documents, every image it uses, tar archives read without trusting them, and the airgap
//! bundle format (`bundle`), written and read in one streaming pass.

pub mod archive;
pub mod bundle;
pub mod documents;
pub mod images;
pub mod slug;
