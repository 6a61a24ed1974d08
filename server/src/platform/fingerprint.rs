//! A short, stable hash of bytes, for recognising "the same request" or "the same query" again.

/// FNV-1a, 64-bit, as 16 hex digits. Stable across releases and platforms (unlike std's hasher); not
/// meant to resist a deliberate collision, only to tell honest requests apart.
pub fn fingerprint(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn known_vectors() {
        assert_eq!(fingerprint(b""), "cbf29ce484222325");
        assert_eq!(fingerprint(b"a"), "af63dc4c8601ec8c");
    }
}
