//! Generates the kam.v1 code with `protox` (a pure-Rust protobuf compiler), so building needs cargo and
//! nothing else: no system `protoc`.

use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    println!("cargo:rerun-if-changed={}", root.join("kam").display());
    println!("cargo:rerun-if-changed={}", root.join("google").display());

    let mut protos: Vec<PathBuf> = std::fs::read_dir(root.join("kam/v1"))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    // Directory order differs between machines; the descriptor set (and the OpenAPI document drawn
    // from it) must not.
    protos.sort();
    // The error model travels as `Any`: the HTTP/JSON API needs these types in the set to write errors
    // as JSON, and reflection clients to decode them.
    protos.push(root.join("google/rpc/status.proto"));
    protos.push(root.join("google/rpc/error_details.proto"));
    let mut compiler = protox::Compiler::new([&root])?;
    compiler
        .include_source_info(true)
        .include_imports(true)
        .open_files(&protos)?;
    let descriptors = compiler.file_descriptor_set();

    // Reflection serves this set, the HTTP/JSON API reads its routes from it, and pbjson reads it to
    // generate the canonical proto3 JSON mapping. Encoded by protox itself: `prost_types` has no room
    // for extension options, so `descriptors.encode_to_vec()` would drop every `google.api.http`.
    let descriptor_bytes = compiler.encode_file_descriptor_set();
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
