//! Generates the kam.v1 code with `protox` (a pure-Rust protobuf compiler), so building needs cargo and
//! nothing else: no system `protoc`.

use std::{env, path::PathBuf};

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    println!("cargo:rerun-if-changed={}", root.join("kam").display());

    let protos: Vec<PathBuf> = std::fs::read_dir(root.join("kam/v1"))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    let descriptors = protox::compile(&protos, [&root])?;

    // Reflection serves this set; pbjson reads it to generate the canonical proto3 JSON mapping.
    let descriptor_bytes = descriptors.encode_to_vec();
    std::fs::write(out_dir.join("kam_descriptor.bin"), &descriptor_bytes)?;

    tonic_prost_build::configure()
        .compile_well_known_types(true)
        .extern_path(".google.protobuf", "::pbjson_types")
        .compile_fds(descriptors)?;

    pbjson_build::Builder::new()
        .register_descriptors(&descriptor_bytes)?
        .build(&[".kam"])?;
    Ok(())
}
