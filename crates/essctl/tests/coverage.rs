//! Every RPC of the services has an essctl command: each method of the registry, activities,
//! observatory and platform descriptor sets is called somewhere in `src/` (as its generated
//! client method, `.create_partner(`). A new RPC without a command fails here, naming it.

use std::path::Path;

use prost_reflect::DescriptorPool;

fn snake_case(method: &str) -> String {
    let mut out = String::new();
    for (i, c) in method.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn sources(dir: &Path, into: &mut String) {
    for entry in std::fs::read_dir(dir).expect("readable src/") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push_str(&std::fs::read_to_string(&path).expect("readable source"));
        }
    }
}

#[test]
fn every_rpc_of_the_services_is_called_by_some_essctl_command() {
    let mut code = String::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut code);
    let mut missing = Vec::new();
    let mut checked = 0;
    for set in [
        ess_proto::REGISTRY_DESCRIPTOR_SET,
        ess_proto::ACTIVITIES_DESCRIPTOR_SET,
        ess_proto::OBSERVATORY_DESCRIPTOR_SET,
        ess_proto::PLATFORM_DESCRIPTOR_SET,
    ] {
        let pool = DescriptorPool::decode(set).expect("a valid descriptor set");
        for service in pool.services().filter(|s| s.package_name().starts_with("ess.")) {
            for method in service.methods() {
                checked += 1;
                if !code.contains(&format!(".{}(", snake_case(method.name()))) {
                    missing.push(format!("{}/{}", service.full_name(), method.name()));
                }
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} methods found: are the descriptor sets complete?"
    );
    assert!(missing.is_empty(), "RPCs without an essctl command: {missing:?}");
}

#[test]
fn method_names_become_generated_client_names() {
    assert_eq!(snake_case("ListKnownPartners"), "list_known_partners");
    assert_eq!(snake_case("GetPtce"), "get_ptce");
}
