//! SAS tokens, derived DPS keys and URL encodings checked against `vectors.txt`, which
//! `gen_vectors.py` computes with Python's standard library. Nothing here computes an expected
//! value with the code under test.

use heapless::String as HString;
use zmqtt_azure::sas::{derive_device_key, write_sas_token, SasError, SasResource};
use zmqtt_azure::url_encode::{url_decode, UrlEncoded};
use zmqtt_azure::{DeviceIdentity, DpsIdentity, RustCrypto};

const VECTORS: &str = include_str!("vectors.txt");

fn vectors(kind: &str) -> impl Iterator<Item = Vec<&'static str>> + '_ {
    VECTORS
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .filter(move |fields| fields[0] == kind)
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn url_encoding_matches_python_quote_and_decodes_back() {
    let mut count = 0;
    for fields in vectors("quote") {
        let input = String::from_utf8(unhex(fields[1])).unwrap();
        let expected = fields[2];
        assert_eq!(UrlEncoded(&input).to_string(), expected, "{input:?}");
        let mut buf = vec![0u8; input.len()];
        assert_eq!(url_decode(expected, &mut buf), Ok(input.as_str()));
        count += 1;
    }
    assert!(count >= 8, "vectors.txt has too few quote lines");
}

#[test]
fn sas_tokens_match_python_for_devices_modules_and_dps() {
    let mut kinds = std::collections::BTreeMap::new();
    for fields in vectors("sas") {
        let [_, kind, a, b, c, key, expiry, token] = fields[..] else {
            panic!("bad sas line {fields:?}");
        };
        let resource = match kind {
            "device" => DeviceIdentity::device(a, b).sas_resource(),
            "module" => DeviceIdentity::module(a, b, c).sas_resource(),
            "dps" => DpsIdentity {
                id_scope: a,
                registration_id: b,
            }
            .sas_resource(),
            other => panic!("unknown kind {other}"),
        };
        let expiry: u64 = expiry.parse().unwrap();
        let mut out: HString<256> = HString::new();
        write_sas_token::<RustCrypto, _>(&mut out, &resource, key, expiry).unwrap();
        assert_eq!(out.as_str(), token, "{kind} {a} {b} {c}");
        *kinds.entry(kind).or_insert(0) += 1;
    }
    assert_eq!(
        kinds.keys().copied().collect::<Vec<_>>(),
        ["device", "dps", "module"]
    );
}

#[test]
fn derived_dps_device_keys_match_python() {
    let mut count = 0;
    for fields in vectors("derive") {
        let mut out = [0u8; 44];
        let key = derive_device_key::<RustCrypto>(fields[1], fields[2], &mut out).unwrap();
        assert_eq!(key, fields[3]);
        count += 1;
    }
    assert!(count >= 2);
}

#[test]
fn a_token_that_does_not_fit_is_an_error_not_a_truncated_token() {
    let fields = vectors("sas").next().unwrap();
    let resource = DeviceIdentity::device(fields[2], fields[3]).sas_resource();
    let mut small: HString<64> = HString::new();
    assert_eq!(
        write_sas_token::<RustCrypto, _>(&mut small, &resource, fields[5], 1),
        Err(SasError::BufferTooSmall)
    );
}

#[test]
fn bad_and_oversized_keys_are_refused() {
    let resource = SasResource::Device {
        hub_host: "h",
        device_id: "d",
    };
    let mut out = String::new();
    assert_eq!(
        write_sas_token::<RustCrypto, _>(&mut out, &resource, "not base64!", 1),
        Err(SasError::BadKey)
    );
    // 200 bytes of key: more than MAX_KEY_LEN (128).
    let long_key = "QUFB".repeat(200 / 3 + 1);
    assert_eq!(
        write_sas_token::<RustCrypto, _>(&mut out, &resource, &long_key, 1),
        Err(SasError::KeyTooLong)
    );
    assert!(out.is_empty(), "nothing is written for a bad key");
    let mut derived = [0u8; 44];
    assert_eq!(
        derive_device_key::<RustCrypto>("%%%", "dev", &mut derived),
        Err(SasError::BadKey)
    );
    // A key pasted with surrounding whitespace still works.
    let key = " AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
    assert!(write_sas_token::<RustCrypto, _>(&mut out, &resource, key, 1).is_ok());
}
